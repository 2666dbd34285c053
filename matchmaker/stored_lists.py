"""Suggestion lists in the database: one row per pair, each side's rank, reasons, answers.

Pairs are stored once (low id first) with each side's rank and answer. Reasons are stored
from the low side's point of view and turned around for the high side when shown, so one
row serves both attendees. Writing an event's lists touches only the pairs of the people
whose lists changed, in batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update

from .choices import Answer, MeetingStatus
from .extensions import db
from .matching import Reason
from .matching import SuggestedPartner as Suggested
from .models import Meeting, Suggestion, utcnow

BATCH = 5000


def reasons_low_view(viewer_is_low: bool, reasons: Iterable[Reason]) -> dict[str, list[list[str]]]:
    """Turn reasons read by one side into the stored, low-side form."""
    stored: dict[str, list[list[str]]] = {"low_helps": [], "high_helps": [], "shared": []}
    for reason in reasons:
        mine, theirs = reason.yours, reason.theirs
        low_phrase, high_phrase = (mine, theirs) if viewer_is_low else (theirs, mine)
        if reason.direction == "shared":
            stored["shared"].append([low_phrase, high_phrase])
        elif (reason.direction == "you_help") == viewer_is_low:
            stored["low_helps"].append([low_phrase, high_phrase])  # low offers, high needs
        else:
            stored["high_helps"].append([high_phrase, low_phrase])  # high offers, low needs
    return stored


def reasons_for(row: Suggestion, viewer_id: int) -> list[Reason]:
    """The stored reasons as the viewer reads them: "you can help", "they can help", shared."""
    stored = row.reasons or {}
    viewer_is_low = viewer_id == row.low_id
    mine, theirs = ("low_helps", "high_helps") if viewer_is_low else ("high_helps", "low_helps")
    reasons = [Reason("you_help", offer, need) for offer, need in stored.get(mine, [])]
    reasons += [Reason("they_help", need, offer) for offer, need in stored.get(theirs, [])]
    for low_phrase, high_phrase in stored.get("shared", []):
        yours, other = (low_phrase, high_phrase) if viewer_is_low else (high_phrase, low_phrase)
        reasons.append(Reason("shared", yours, other))
    return reasons


def store_lists(event_id: int, lists: dict[int, list[Suggested]]) -> None:
    """Write the suggestion lists of the given attendees (the caller commits).

    Rows for these attendees are re-ranked; pairs that left every list and carry no answer
    or meeting are deleted; answered pairs stay, so answers and confirmed matches are never
    lost.
    """
    now = utcnow()
    stored = _stored_pairs(event_id, list(lists))
    new_rows = _merge_lists(event_id, lists, stored, now)
    _write_pairs(stored, new_rows, now)
    if new_rows:
        _link_meetings(event_id)


_PAIR_COLUMNS = (
    Suggestion.id,
    Suggestion.low_id,
    Suggestion.high_id,
    Suggestion.rank_low,
    Suggestion.rank_high,
    Suggestion.answer_low,
    Suggestion.answer_high,
)


def _stored_pairs(event_id: int, owners: list[int]) -> dict[tuple[int, int], dict]:
    """The stored pairs of these owners, keyed (low, high), with the owners' ranks cleared
    (their new lists set them again) and ``dirty`` marking the rows they touch."""
    if not owners:
        return {}
    statement = select(*_PAIR_COLUMNS).where(Suggestion.event_id == event_id)
    if len(owners) <= BATCH:
        statement = statement.where(
            or_(Suggestion.low_id.in_(owners), Suggestion.high_id.in_(owners))
        )
    owner_set = set(owners)
    stored = {}
    for row in db.session.execute(statement):
        item = row._asdict()
        if item["low_id"] in owner_set:
            item["rank_low"] = None
        if item["high_id"] in owner_set:
            item["rank_high"] = None
        item["dirty"] = bool(owner_set & {item["low_id"], item["high_id"]})
        stored[(item["low_id"], item["high_id"])] = item
    return stored


def _merge_lists(
    event_id: int,
    lists: dict[int, list[Suggested]],
    stored: dict[tuple[int, int], dict],
    now: datetime,
) -> dict[tuple[int, int], dict]:
    """Put each owner's ranks, scores and reasons on the stored pairs (in place) and return
    the pairs that are new."""
    new_rows: dict[tuple[int, int], dict] = {}
    for owner, suggested in lists.items():
        for rank, suggestion in enumerate(suggested, start=1):
            low, high = sorted((owner, suggestion.partner_id))
            side = "rank_low" if owner == low else "rank_high"
            values = {
                "score": round(float(suggestion.score), 6),
                "reasons": reasons_low_view(owner == low, suggestion.reasons),
                "updated_at": now,
            }
            # Each side ranks by its own view of the pair; the stored strength is the
            # better of the two, so neither side sees the other's weaker view.
            previous = stored.get((low, high)) or new_rows.get((low, high))
            if previous is not None and previous.get("fresh"):
                values["score"] = max(values["score"], previous["score"])
            values["fresh"] = True
            if (low, high) in stored:
                item = stored[(low, high)]
                item.update(values)
                item[side] = rank
                item["dirty"] = item["changed"] = True
            else:
                item = new_rows.setdefault(
                    (low, high),
                    {
                        "event_id": event_id,
                        "low_id": low,
                        "high_id": high,
                        "rank_low": None,
                        "rank_high": None,
                        "answer_low": Answer.NONE,
                        "answer_high": Answer.NONE,
                        "created_at": now,
                    },
                )
                item.update(values)
                item[side] = rank
    return new_rows


def _write_pairs(
    stored: dict[tuple[int, int], dict], new_rows: dict[tuple[int, int], dict], now: datetime
) -> None:
    """Delete the pairs nobody lists, answered or meets, update the touched ones, insert the
    new, each in batches."""
    unlisted = [
        item["id"]
        for item in stored.values()
        if item["dirty"]
        and item["rank_low"] is None
        and item["rank_high"] is None
        and item["answer_low"] == Answer.NONE
        and item["answer_high"] == Answer.NONE
    ]
    # An assigned meeting has no answers behind it: its pair stays, with its reasons.
    stale = set(unlisted) - _pairs_meeting(unlisted)
    rank_only, full = [], []
    for item in stored.values():
        if not item["dirty"] or item["id"] in stale:
            continue
        change = {"id": item["id"], "rank_low": item["rank_low"], "rank_high": item["rank_high"]}
        if item.get("changed"):
            change |= {"score": item["score"], "reasons": item["reasons"], "updated_at": now}
            full.append(change)
        else:
            rank_only.append(change)
    stale_ids = sorted(stale)
    for start in range(0, len(stale_ids), BATCH):
        db.session.execute(
            delete(Suggestion).where(Suggestion.id.in_(stale_ids[start : start + BATCH]))
        )
    for batch_rows in (rank_only, full):
        for start in range(0, len(batch_rows), BATCH):
            db.session.execute(update(Suggestion), batch_rows[start : start + BATCH])
    values = [{k: v for k, v in row.items() if k != "fresh"} for row in new_rows.values()]
    for start in range(0, len(values), BATCH):
        db.session.execute(insert(Suggestion), values[start : start + BATCH])


def _link_meetings(event_id: int) -> None:
    """Give meetings that lost their pair's row (before pairs with a meeting were kept) the
    row their pair has again, so their cards and reasons come back."""
    pair_row = (
        select(Suggestion.id)
        .where(
            Suggestion.event_id == Meeting.event_id,
            Suggestion.low_id == Meeting.low_id,
            Suggestion.high_id == Meeting.high_id,
        )
        .scalar_subquery()
    )
    db.session.execute(
        update(Meeting)
        .where(
            Meeting.event_id == event_id,
            Meeting.suggestion_id.is_(None),
            Meeting.status == MeetingStatus.CONFIRMED,
        )
        .values(suggestion_id=pair_row)
        .execution_options(synchronize_session=False)
    )


def _pairs_meeting(suggestion_ids: list[int]) -> set[int]:
    """The ones of these pairs that have a confirmed meeting."""
    meeting = set()
    for start in range(0, len(suggestion_ids), BATCH):
        meeting.update(
            db.session.scalars(
                select(Meeting.suggestion_id).where(
                    Meeting.suggestion_id.in_(suggestion_ids[start : start + BATCH]),
                    Meeting.status == MeetingStatus.CONFIRMED,
                )
            )
        )
    return meeting
