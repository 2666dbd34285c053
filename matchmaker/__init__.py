"""matchmaker: pair event attendees who can help each other and schedule their meetings."""
