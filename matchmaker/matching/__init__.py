"""Who should meet whom: ranked, explained partner suggestions for event attendees.

Pure module: no Flask, no database. The web layer turns attendees into `Profile` objects and
stores the `MatchResult`.

Usage
-----
>>> from matchmaker.matching import MatchSettings, Profile, format_reason, suggest_partners
>>> people = [
...     Profile(1, can_help_with=("fundraising",), looking_for=("data visualisation",),
...             role="investor"),
...     Profile(2, can_help_with=("dashboards", "data viz"), looking_for=("seed funding",
...             "fundraising"), role="founder"),
... ]
>>> result = suggest_partners(people, MatchSettings(top_k=5))
>>> [s.partner_id for s in result.suggestions[1]]
[2]
>>> format_reason(result.suggestions[1][0].reasons[0])
'They can help with: data viz (you look for: data visualisation)'

For live events keep a `Matcher`: ``matcher = Matcher(settings).fit(profiles)``, then
``matcher.update(profile)`` (new or edited attendee), ``matcher.remove(id)`` or
``matcher.decline(a, b)`` refresh only the affected lists and return the ids whose
suggestions changed; ``matcher.result_`` always equals a full recomputation.

Score
-----
Phrases are normalised and aliased (see `matchmaker.matching.text`), then compared by word
and character n-gram similarity ``sim(p, q)`` in [0, 1] (0 below 0.5). With ``O``, ``N``,
``I`` the offers ("can help with"), needs ("looking for") and interests of an attendee::

    help(A -> B)   = mean over B's needs q of  max over A's offers p of sim(p, q)
    shared(A, B)   = ( mean over B's interests of best match among A's interests
                     + mean over A's interests of best match among B's interests ) / 2
    helpfulness    = 0.7 * max(help(A->B), help(B->A)) + 0.3 * min(help(A->B), help(B->A))
    score(A, B)    = 0.8 * helpfulness + 0.2 * shared(A, B)

Why this shape: ``help`` asks "how much of B's list would A cover", so one attendee who
covers all of somebody's needs scores 1 however much else they offer, and a long list of
offers is not punished as a cosine would. Both directions count and the weaker one adds 0.3,
so a mutual pair beats a one-way pair with the same strongest direction, while an expert who
fully solves a job seeker's problem (1, 0) still scores 0.56, above a lukewarm mutual pair
(0.5, 0.5) at 0.4. Shared interests are small talk, not a reason to travel: at most 0.2.
The score is symmetric and lies in [0, 1]. Pairs scoring 0 are never suggested.

Rules and fairness
------------------
Pairs are suggested only if the roles may meet (`DEFAULT_ROLE_RULES`, symmetric), the
attendees are not from the same organisation (case- and space-insensitive, on by default),
not declined, and can meet: "in_person" and "virtual" exclude each other and the session
sets must intersect (None means every session). Each attendee's exact top ``4 * top_k``
(by score, ties by lower id) is computed first; then an exposure pass accepts candidates best
score first under the ``max_exposure`` cap, first one per attendee, then the rest; attendees
left without any are given the best partner who still has room, or a slot freed from someone
holding more than one, so coverage is full wherever a partner exists.

Speed
-----
Attendees with the same concepts share one *signature* and are scored once; signatures are
scored through an inverted index of concepts with numba kernels (``cache=True``, parallel).
"""

from .engine import MUTUAL_WEIGHT, SHARED_WEIGHT, Matcher, suggest_partners
from .models import (
    DEFAULT_ROLE_RULES,
    UNMATCHED_REASONS,
    MatchResult,
    MatchSettings,
    Profile,
    Reason,
    Suggestion,
)
from .reasons import format_reason, format_reasons

__all__ = [
    "DEFAULT_ROLE_RULES",
    "MUTUAL_WEIGHT",
    "SHARED_WEIGHT",
    "UNMATCHED_REASONS",
    "MatchResult",
    "MatchSettings",
    "Matcher",
    "Profile",
    "Reason",
    "Suggestion",
    "format_reason",
    "format_reasons",
    "suggest_partners",
]
