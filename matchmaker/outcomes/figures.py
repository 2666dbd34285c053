"""Every figure of an event's outcome page at once: the funnels, who met whom, usefulness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Event, utcnow
from .funnel import Funnel, count_funnels, in_role_order
from .usefulness import RolePairUsefulness, SessionUsefulness, by_role_pair, by_session
from .who_met_whom import Network, meeting_network

PEOPLE_LIMIT = 300  # up to this many attendees the network shows each person


@dataclass(frozen=True)
class Outcome:
    event_id: int
    funnels: tuple[Funnel, ...]  # everyone first, then each role present, in ROLES order
    network: Network
    by_role_pair: tuple[RolePairUsefulness, ...]
    by_session: tuple[SessionUsefulness, ...]

    @property
    def overall(self) -> Funnel:
        return self.funnels[0]

    @property
    def role_funnels(self) -> tuple[Funnel, ...]:
        return self.funnels[1:]

    def roles_rated(self) -> list[str]:
        """Roles that answered or were answered about, in ROLES order."""
        seen = {r.rater for r in self.by_role_pair} | {r.partner for r in self.by_role_pair}
        return in_role_order(seen)

    def role_pair(self, rater: str, partner: str) -> RolePairUsefulness | None:
        for row in self.by_role_pair:
            if row.rater == rater and row.partner == partner:
                return row
        return None


def event_outcome(
    event: Event, *, now: datetime | None = None, people_limit: int | None = None
) -> Outcome:
    """Every figure of the outcome page, in about ten queries whatever the event's size.
    The network lists people one by one up to ``people_limit`` attendees (default
    ``PEOPLE_LIMIT``), and only roles above."""
    now = now or utcnow()
    people_limit = PEOPLE_LIMIT if people_limit is None else people_limit
    funnels = count_funnels(event)
    return Outcome(
        event_id=event.id,
        funnels=funnels,
        network=meeting_network(event, now, funnels, people_limit),
        by_role_pair=by_role_pair(event),
        by_session=by_session(event, now),
    )
