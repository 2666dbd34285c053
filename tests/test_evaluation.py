"""Evaluation tests: metrics on hand-checked lists, events from a hand-written dump, the CSV."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from matchmaker.importing import parse_attendee_file
from matchmaker.matching import evaluation as ev
from matchmaker.matching.evaluation import Exposure, Hits, Row

# ----------------------------------------------------------------------------- metrics

#: Three askers; x is the one busy helper (the head). a finds x first, b finds y third,
#: c never finds z. Tail askers (helpers outside the head): b and c, of whom b is found.
TRUTH = {"a": {"x"}, "b": {"y"}, "c": {"z"}}
RANKED = {"a": ["x", "p"], "b": ["p", "q", "y"], "c": ["p", "q"]}
HEAD = {"x"}


def test_hits_on_a_hand_checked_event() -> None:
    hits = ev.score_hits(RANKED, TRUTH, HEAD)
    assert (hits.askers, hits.hits, hits.tail_askers, hits.tail_hits) == (3, 2, 2, 1)
    assert hits.hit_rate == pytest.approx(2 / 3)
    assert hits.mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert hits.tail_hit_rate == pytest.approx(1 / 2)


@pytest.mark.parametrize(
    ("ranked", "hit", "reciprocal_rank"),
    [
        ({"b": [*"abcdefghi", "y"]}, 1, 1 / 10),  # tenth place still counts
        ({"b": [*"abcdefghij", "y"]}, 0, 0.0),  # eleventh does not
        ({"b": ["y", "y"]}, 1, 1.0),  # only the first hit counts
        ({}, 0, 0.0),  # an asker without a list is a miss
    ],
)
def test_hits_count_only_the_top_ten(ranked: dict, hit: int, reciprocal_rank: float) -> None:
    hits = ev.score_hits(ranked, {"b": {"y"}}, head=())
    assert (hits.askers, hits.hits, hits.reciprocal_ranks) == (1, hit, reciprocal_rank)
    assert (hits.tail_askers, hits.tail_hits) == (1, hit)


def test_an_asker_with_one_busy_helper_is_not_in_the_tail() -> None:
    hits = ev.score_hits({"a": ["y"]}, {"a": {"x", "y"}}, head={"x"})
    assert (hits.hits, hits.tail_askers, hits.tail_hits) == (1, 0, 0)


def test_hits_pool_over_askers_not_over_events() -> None:
    """1 of 1 on one event and 0 of 3 on another is 1 of 4, not the mean of 1.0 and 0.0."""
    pooled = Hits(1, 1, 1.0, 1, 1) + Hits(3, 0, 0.0, 0, 0)
    assert (pooled.hit_rate, pooled.mrr, pooled.tail_hit_rate) == (0.25, 0.25, 1.0)
    assert Hits().hit_rate == Hits().mrr == Hits().tail_hit_rate == 0.0


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([3, 3, 3, 3], 0.0),  # all equal
        ([0, 0, 0], 0.0),  # nobody in any list
        ([], 0.0),
        ([5, 0, 0, 0], 3 / 4),  # one person in every list: (n - 1) / n
        ([7, 0], 1 / 2),
        ([1, 2, 3, 4], 1 / 4),  # sum of |xi - xj| = 20 over 2 n^2 mean = 80
    ],
)
def test_gini(counts: list[int], expected: float) -> None:
    assert ev.gini(counts) == pytest.approx(expected)
    assert ev.gini(list(reversed(counts))) == pytest.approx(expected)


def test_exposure_counts_people_in_no_list() -> None:
    # appearances: a 1, b 0, c 0, x 3, y 1; Gini of [0, 0, 1, 1, 3] is 28 / 50
    ranked = {"a": ["x", "y"], "b": ["x"], "c": ["x", "a"]}
    spread = ev.exposure(ranked, people=["a", "b", "c", "x", "y"])
    assert (spread.people, spread.max_lists, spread.lists, spread.entries) == (5, 3, 3, 5)
    assert spread.gini == pytest.approx(0.56)
    assert spread.mean_list_length == pytest.approx(5 / 3)


def test_exposure_looks_at_the_top_ten_only() -> None:
    spread = ev.exposure({"a": [*"bcdefghijk", "x"]}, people=[*"abcdefghijkx"])
    assert spread.entries == 10
    assert spread.max_lists == 1


def test_exposure_pools_gini_weighted_by_people_and_keeps_the_highest_max() -> None:
    even = Exposure(people=2, gini_people=0.0, max_lists=1, lists=2, entries=2)
    one_in_all = ev.exposure({"a": ["x"], "b": ["x"], "c": ["x"]}, people=["a", "b", "c", "x"])
    assert one_in_all.gini == pytest.approx(3 / 4)
    pooled = even + one_in_all
    assert pooled.gini == pytest.approx((0 * 2 + 0.75 * 4) / 6)
    assert (pooled.max_lists, pooled.mean_list_length) == (3, 1.0)


# ----------------------------------------------------------------------------- events

#: Accepted answers by question id: 10 (asker 1, helper 2), 20 (3 -> 2), 30 (1 -> 4).
#: 40 is answered by its own asker and 50 has no accepted answer: neither is a pair.
POSTS_XML = """\
<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="10" PostTypeId="1" OwnerUserId="1" AcceptedAnswerId="11"
       Title="Parse HTML tables" Tags="&lt;python&gt;&lt;web-scraping&gt;" />
  <row Id="11" PostTypeId="2" ParentId="10" OwnerUserId="2" />
  <row Id="20" PostTypeId="1" OwnerUserId="3" AcceptedAnswerId="21"
       Title="Read a CSV file" Tags="&lt;python&gt;" />
  <row Id="21" PostTypeId="2" ParentId="20" OwnerUserId="2" />
  <row Id="30" PostTypeId="1" OwnerUserId="1" AcceptedAnswerId="31"
       Title="Group by two columns" Tags="&lt;pandas&gt;" />
  <row Id="31" PostTypeId="2" ParentId="30" OwnerUserId="4" />
  <row Id="32" PostTypeId="2" ParentId="30" OwnerUserId="3" />
  <row Id="40" PostTypeId="1" OwnerUserId="2" AcceptedAnswerId="41"
       Title="Self answered" Tags="&lt;regex&gt;" />
  <row Id="41" PostTypeId="2" ParentId="40" OwnerUserId="2" />
  <row Id="50" PostTypeId="1" OwnerUserId="4" Title="Unanswered" Tags="&lt;numpy&gt;" />
</posts>
"""


@pytest.fixture
def events(tmp_path: Path) -> list[ev.Event]:
    path = tmp_path / "tiny_Posts.xml"
    path.write_text(POSTS_XML, encoding="utf-8")
    return list(ev.build_events(ev.load_posts(path), folds=3))


def row(uid: str, can: tuple[str, ...], look: tuple[str, ...]) -> Row:
    return Row(uid, f"User {uid}", f"u{uid}@example.org", can, look)


def test_first_fold_holds_question_10(events: list[ev.Event]) -> None:
    """Asker 1 looks for what question 10 asked; 2 offers what they answered elsewhere."""
    event = events[0]
    assert event.rows == [
        row("1", (), ("python", "web scraping", "Parse HTML tables")),
        row("2", ("python", "Read a CSV file", "regex", "Self answered"), ("regex",)),
        row("3", ("pandas", "Group by two columns"), ("python",)),
        row("4", ("pandas", "Group by two columns"), ("numpy",)),
    ]
    assert event.truth == {"1": {"2"}}
    assert event.answered == {"2": 2, "4": 1, "3": 1}
    assert event.head == {"2"}
    assert event.asked == {"1": 10}  # when each asker last asked in the fold


def test_second_fold_holds_question_20(events: list[ev.Event]) -> None:
    event = events[1]
    assert event.truth == {"3": {"2"}}
    assert event.rows[2] == row(
        "3", ("pandas", "Group by two columns"), ("python", "Read a CSV file")
    )
    assert event.rows[0].look == ("python", "web scraping", "pandas")  # asked outside the fold


def test_a_helper_without_a_profile_is_no_truth(events: list[ev.Event]) -> None:
    """4 answered only question 30, held in the third fold, so they offer nothing there."""
    event = events[2]
    assert event.truth == {}
    assert [r.can for r in event.rows] == [
        (),
        (
            "python",
            "web scraping",
            "Parse HTML tables",
            "Read a CSV file",
            "regex",
            "Self answered",
        ),
        (),
        (),
    ]
    assert event.answered == {"2": 3}


def test_offers_are_most_frequent_first_and_capped() -> None:
    questions = {
        str(i): {"Id": str(i), "PostTypeId": "1", "Title": f"t{i}", "Tags": "<common>"}
        for i in range(1, 31)
    }
    answers = {
        str(100 + i): {"PostTypeId": "2", "ParentId": str(i), "OwnerUserId": "7"}
        for i in range(1, 31)
    }
    offers, answered = ev.offers_outside(questions, answers, held=set())
    top = [phrase for phrase, _ in offers["7"].most_common(ev.MAX_OFFERS)]
    assert top[0] == "common" and len(top) == 25 and answered["7"] == 30


def test_head_is_the_most_active_tenth() -> None:
    answered = Counter({str(i): i for i in range(1, 21)})
    assert ev.most_active(answered) == {"20", "19"}
    assert ev.most_active(Counter({"5": 1})) == {"5"}


# ----------------------------------------------------------------------------- files


def test_attendee_csv_bytes() -> None:
    rows = [row("1", ("python", "Parse tables, fast"), ("regex",))]
    assert ev.attendee_csv(rows) == (
        b"Name,Email,I can help with,I'm looking for,Interests\r\n"
        b'User 1,u1@example.org,"python, Parse tables  fast",regex,\r\n'
    )


@pytest.mark.parametrize(
    "phrases",
    [
        ("python", "web scraping"),
        ("Parse HTML tables, quickly", "pandas"),  # the comma becomes a space
        ('What does "overfitting" mean?', "Café data"),
        (),
    ],
)
def test_attendee_csv_round_trips_through_the_importer(phrases: tuple[str, ...]) -> None:
    rows = [row("1", phrases, ("numpy",)), row("2", ("numpy",), phrases)]
    _, _, report = parse_attendee_file(ev.attendee_csv(rows), "attendees.csv")
    assert report.errors == []
    expected = [" ".join(p.replace(",", " ").split()) for p in phrases]
    assert [r.email for r in report.records] == ["u1@example.org", "u2@example.org"]
    assert [r.name for r in report.records] == ["User 1", "User 2"]
    assert report.records[0].can_help_with == expected
    assert report.records[1].looking_for == expected


def test_ranked_from_jsonl_orders_by_rank() -> None:
    rows = [row("1", (), ()), row("2", (), ()), row("3", (), ())]
    lines = [
        json.dumps({"email": "u1@example.org", "partner": "u3@example.org", "rank": 2}),
        "2 suggestions for 3 attendees.",
        json.dumps({"email": "u1@example.org", "partner": "u2@example.org", "rank": 1}),
        json.dumps({"email": "u2@example.org", "partner": "u1@example.org", "rank": 1}),
    ]
    assert ev.ranked_from_jsonl(lines, rows) == {"1": ["2", "3"], "2": ["1"]}


# ----------------------------------------------------------------------------- baselines


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (2, {"a": ["b", "c"], "b": ["a", "c"], "c": ["a", "b"]}),
        (3, {"a": ["b", "c", "a"], "b": ["a", "c", "b"], "c": ["a", "b", "c"]}),
    ],
)
def test_top_k_puts_oneself_last_and_breaks_ties_by_order(k: int, expected: dict) -> None:
    scores = np.array([[9.0, 1.0, 1.0], [0.0, 9.0, 0.0], [5.0, 5.0, 5.0]])
    assert ev.top_k(scores, ["a", "b", "c"], k=k) == expected


BASELINE_ROWS = [
    row("1", ("pandas",), ("python",)),
    row("2", ("python",), ("pandas",)),
    row("3", ("python",), ("rust",)),
    row("4", ("rust",), ("go",)),
]


def test_baselines_on_a_hand_made_event() -> None:
    ranked = ev.baseline_rankings(BASELINE_ROWS, {"3": 5, "4": 2, "1": 1})
    assert list(ranked) == list(ev.BASELINES)
    # fewer than ten others: everyone is listed, oneself last
    assert ranked["popularity"]["1"] == ["3", "4", "2", "1"]
    assert ranked["popularity"]["3"] == ["4", "1", "2", "3"]
    # 1 needs python: 2 and 3 both offer it; the other way, 1 offers what 2 needs
    assert ranked["can-help-me only (one way)"]["1"][:2] == ["2", "3"]
    assert ranked["one way + 0.3 other way"]["1"][0] == "2"
    assert ranked["strict reciprocal (harmonic mean)"]["1"][0] == "2"
    assert ranked["one way + 0.3 other way"]["3"][0] == "4"
    assert all(lists[-1] == uid for uid, lists in ranked["random"].items())


def test_random_baseline_is_seeded() -> None:
    first = ev.baseline_rankings(BASELINE_ROWS, {}, seed=0)["random"]
    assert first == ev.baseline_rankings(BASELINE_ROWS, {}, seed=0)["random"]


@pytest.mark.parametrize("tags", ["<machine-learning><python>", "|machine-learning|python|"])
def test_tags_in_either_dump_format(tags: str) -> None:
    assert ev.tags_of({"Tags": tags}) == ["machine learning", "python"]
