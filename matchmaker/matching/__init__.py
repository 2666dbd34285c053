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
suggestions changed; ``matcher.result_`` always equals ``matcher.recomputed()``, every list
ranked again with the term statistics learnt by ``fit``.

Score
-----
Every phrase becomes *terms*: its content words (normalised, aliased and stemmed, see
`matchmaker.matching.text`) and, for phrases of two to four words, the phrase itself. A long
phrase (a question, a sentence) therefore counts through its words, and a short one also as
a whole. Head words such as "tech" or "feedback" only count inside their phrase, so that
fintech and climate tech are not alike for sharing "technology". Each term has a
specificity ``idf(t) = log(1 + (N - df + 0.5) / (df + 0.5))``: a
need that few people share (quantum error correction) weighs more than one everybody has
(python). With ``tf`` the number of A's offers that mention a term::

    offer(A, t)  = tf (K1 + 1) / (tf + K1)               BM25 saturation, K1 = 0.6, no length
                                                          normalisation
    need(B, t)   = sum over B's need phrases q holding t of idf(t) / idf(q), normalised to
                   sum to 1 (each need phrase weighs the same, shared among its terms)
    help(A -> B) = sum over t of need(B, t) offer(A, t)
    shared(A, B) = cosine of the idf-weighted interests
    prior(A)     = (1 + 0.2 breadth(A)) / 1.2 * (1 + demand(A)) ** 0.25
    score_B(A)   = prior(A) (help(A -> B) + r help(B -> A) + 0.2 shared(A, B)) / (1 + r + 0.2)

``score_B(A)`` ranks A in B's list: first how much A can help B, then ("you get as much as
you give") how much B can help A, with weight ``r = MatchSettings.reciprocity`` (0.3 by
default), then shared interests. ``breadth`` is ``log(1 + #offers) / log 26`` (capped at 25
offers) and ``demand`` how much of everyone's needs A's offers cover (``sum over people of
help(A -> them)`` with the needs seen by ``fit``): people who can help with more, and with
what many need, are more likely to help, so listing more is never punished. The order of
offers is not used: counting the first ones more (`vectors.POSITION_DECAY`), as if people
listed their strongest first, lowered HR@10 on the Stack Exchange development sites. The
score people see is the fit without the prior, in [0, 1]. Pairs where someone can help always
rank above pairs that only share interests (those are labelled as weak); pairs scoring 0 are
never suggested.

The weights are settings: ``r`` is `MatchSettings.reciprocity`, the 0.2 of shared interests
`MatchSettings.shared_weight`, and the ranking multiplies by ``prior(A) **
prior_exponent * (1 + track_record(A)) ** track_record_exponent`` (1 and 0 by default: the
default leaves out `Profile.track_record`, how many people said A helped them at the
organizer's earlier events, so that busy people are not pushed into every list).
`Matcher.components` gives the parts of the score for any pair, and
`matchmaker.matching.learning` fits the four weights to an organizer's answers, the defaults
as its prior, once there are enough of them.

These defaults were chosen on real "who helped whom" data: Stack Exchange sites where the
accepted answer says who helped whom (``scripts/eval_matching.py``, protocol in
`matchmaker.matching.evaluation`); the README lists the figures beside the plain baselines.

Rules and fairness
------------------
Pairs are suggested only if the roles may meet (`DEFAULT_ROLE_RULES`: anyone may meet
anyone; an organizer may choose a preset), the attendees are not from the same organisation
(case- and space-insensitive, on by default), not declined, and can meet: "in_person" and
"virtual" exclude each other and the session sets must intersect (None means every
session). Lists are exact top ``top_k`` by score, ties by lower id, so everyone with at
least ``top_k`` allowed partners with a positive score gets a full list. Scarcity is in
meetings, not in suggestions: each attendee's meeting limit protects the most sought-after
people. ``exposure_penalty`` optionally divides a candidate's score by
``1 + penalty * log2(lists / top_k)`` for people in more than ``top_k`` lists, and
``max_exposure`` is an optional hard cap; both re-rank from the exact top ``3 * top_k``.

Speed
-----
Scores are accumulated through inverted indexes (term -> people) by numba kernels that run
in parallel over viewers, so the cost is the number of postings walked, not N x N.
"""

from .engine import SHARED_WEIGHT, Matcher, suggest_partners
from .reasons import format_reason, format_reasons, is_weak, match_strength
from .types import (
    DEFAULT_ROLE_RULES,
    UNMATCHED_REASONS,
    MatchResult,
    MatchSettings,
    Profile,
    Reason,
    SuggestedPartner,
)

__all__ = [
    "DEFAULT_ROLE_RULES",
    "SHARED_WEIGHT",
    "UNMATCHED_REASONS",
    "MatchResult",
    "MatchSettings",
    "Matcher",
    "Profile",
    "Reason",
    "SuggestedPartner",
    "format_reason",
    "format_reasons",
    "is_weak",
    "match_strength",
    "suggest_partners",
]
