"""What the importer raises when a file or a column choice cannot give attendees."""


class ImportFileError(ValueError):
    """The upload is not a table we can read; the message is meant for the organizer."""


class MappingError(ImportFileError):
    """The chosen columns cannot produce attendees (no email or no name column)."""
