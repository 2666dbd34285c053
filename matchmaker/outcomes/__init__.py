"""What came of an event's networking, for its organizer: how far people got (the funnel,
overall and per role), who met whom, and how useful the meetings were by role pair and by
networking session; the figures as CSV rows and as pictures (:mod:`matchmaker.charts`).

Counts are people, not pairs, so every step of the funnel compares with the one before:

registered
    every attendee of the event;
profile complete
    they wrote something they can help with or are looking for;
suggested
    they are in at least one suggested pair;
interested
    they said "I'd like to meet" to at least one suggestion;
confirmed
    a mutual yes, or a meeting booked for them (the organizer may assign meetings);
met
    at least one of their meetings happened: someone said so and nobody said otherwise
    (:meth:`MeetingFeedback.met_pairs`);
useful
    they rated a meeting that happened 4 or 5 out of 5.

Every figure is counted in the database (GROUP BY, IN over subqueries), in a fixed number of
queries whatever the size of the event: a 10,000-attendee event with 14,000 meetings takes
about a second on a busy two-core machine (``scripts/bench_outcomes.py``).
Up to ``PEOPLE_LIMIT`` attendees the network is drawn person by person; above that, a
picture of thousands of dots and lines tells nothing, so roles are drawn instead.

The parts live in their own modules: `funnel` (the steps and their counts),
`who_met_whom` (meetings between roles, the people nobody met), `usefulness` (by role pair
and by session), `figures` (all of them at once: :func:`event_outcome`) and `report` (the
figures as CSV rows and as pictures).
"""

from .figures import PEOPLE_LIMIT, Outcome, event_outcome
from .funnel import STEP_HELP, STEPS, USEFUL, Funnel
from .report import CSV_HEADER, Pictures, csv_rows, funnel_chart, pictures
from .usefulness import RolePairUsefulness, SessionUsefulness, Usefulness
from .who_met_whom import BASIS_ENDED, BASIS_MET, UNMET_LISTED, Network, Unmet

__all__ = [
    "BASIS_ENDED",
    "BASIS_MET",
    "CSV_HEADER",
    "PEOPLE_LIMIT",
    "STEPS",
    "STEP_HELP",
    "UNMET_LISTED",
    "USEFUL",
    "Funnel",
    "Network",
    "Outcome",
    "Pictures",
    "RolePairUsefulness",
    "SessionUsefulness",
    "Unmet",
    "Usefulness",
    "csv_rows",
    "event_outcome",
    "funnel_chart",
    "pictures",
]
