"""Attendee profiles for the benchmarks: the package's synthetic tags or a realistic vocabulary.

`matchmaker.matching.synthetic` draws from a few hundred tags, so thousands of attendees
share identical phrase sets and any engine that scores each distinct set once looks fast.
Organisers' files are different: thousands of distinct phrases, a long tail written by one
or two people, free-text sentences, a few phrases everybody writes. The realistic
vocabulary here imitates that, deterministically (seeded numpy), so that old and new
engines, and the naive way, are compared on the same data.

Rows are plain data (`AttendeeRow`), turned into whichever ``Profile`` class a benchmark
runs, so the same attendees can be fed to an older copy of the matching package.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from matchmaker.choices import ROLES

#: Everyday words of event forms, most common first within each group.
TOPICS = (
    "data", "sales", "marketing", "hiring", "design", "research", "funding", "AI", "product",
    "software", "cloud", "security", "strategy", "analytics", "growth", "leadership",
    "engineering", "startups", "innovation", "sustainability", "networking", "mentoring",
    "Python", "machine learning", "UX", "finance", "operations", "branding", "content",
    "partnerships", "customers", "recruiting", "investment", "pricing", "automation",
    "compliance", "regulation", "logistics", "manufacturing", "procurement", "energy",
    "batteries", "hydrogen", "robotics", "sensors", "hardware", "firmware", "APIs",
    "databases", "SQL", "dashboards", "visualisation", "statistics", "forecasting",
    "modelling", "simulation", "optimisation", "testing", "QA", "DevOps", "Kubernetes",
    "microservices", "architecture", "infrastructure", "networks", "privacy", "GDPR",
    "accessibility", "localisation", "translation", "copywriting", "storytelling", "video",
    "photography", "podcasts", "social media", "SEO", "advertising", "PR", "events",
    "community", "volunteering", "teaching", "coaching", "careers", "internships",
    "interviews", "negotiation", "contracts", "IP", "patents", "licensing", "grants",
    "accounting", "bookkeeping", "tax", "payroll", "benefits", "wellbeing", "diversity",
    "inclusion", "culture", "onboarding", "retention", "feedback", "OKRs", "roadmaps",
    "prototyping", "MVPs", "pilots", "validation", "interviews with users", "surveys",
    "experiments", "A/B tests", "conversion", "retention metrics", "churn", "onboarding flows",
    "mobile apps", "web apps", "frontend", "backend", "React", "TypeScript", "Java", "Go",
    "Rust", "C++", "embedded", "IoT", "5G", "edge computing", "blockchain", "smart contracts",
    "computer vision", "NLP", "LLMs", "chatbots", "recommendation systems", "search",
    "data pipelines", "ETL", "data warehouses", "data governance", "data quality", "MLOps",
    "cybersecurity", "pen testing", "identity", "payments", "lending", "insurance",
    "wealth management", "trading", "treasury", "audit", "risk", "ESG", "carbon accounting",
    "circular economy", "recycling", "water", "agriculture", "food", "nutrition", "textiles",
    "construction", "real estate", "mobility", "EV charging", "aviation", "shipping",
    "tourism", "hospitality", "retail", "e-commerce", "marketplaces", "subscriptions",
    "B2B sales", "enterprise sales", "inside sales", "account management", "customer success",
    "customer support", "community management", "product management", "project management",
    "program management", "change management", "public speaking", "writing", "editing",
    "illustration", "animation", "game design", "music", "film", "architecture studios",
    "urban planning", "public sector", "policy", "advocacy", "fundraising", "philanthropy",
    "impact investing", "angel investing", "venture capital", "private equity", "M&A",
    "due diligence", "valuation", "cap tables", "term sheets", "board work", "governance",
)  # fmt: skip
DOMAINS = (
    "healthcare", "fintech", "edtech", "climate tech", "retail", "logistics", "energy",
    "manufacturing", "media", "gaming", "biotech", "medtech", "agritech", "proptech",
    "insurtech", "legal tech", "HR tech", "govtech", "cleantech", "foodtech", "mobility",
    "space", "defence", "telecoms", "banking", "insurance", "public sector", "nonprofits",
    "universities", "schools", "hospitals", "SMEs", "enterprises", "startups", "scaleups",
    "family businesses", "cooperatives", "the Nordics", "Europe", "Africa", "Asia",
    "Latin America", "the US", "emerging markets", "rural areas", "cities", "the Baltics",
)  # fmt: skip
MODIFIERS = (
    "B2B", "B2C", "early-stage", "enterprise", "open-source", "remote", "international",
    "sustainable", "ethical", "responsible", "applied", "practical", "advanced", "basic",
    "hands-on", "technical", "non-technical", "senior", "junior", "freelance", "part-time",
    "full-time", "seed", "Series A", "pre-seed", "bootstrapped", "data-driven", "agile",
    "lean", "global", "local", "Nordic", "European", "digital", "hybrid", "scalable",
    "secure", "inclusive", "green", "low-code", "no-code", "real-time", "predictive",
    "generative", "clinical", "regulatory", "financial", "legal", "creative", "strategic",
)  # fmt: skip
PEOPLE = (
    "cofounder", "CTO", "developer", "designer", "data scientist", "engineer", "mentor",
    "investor", "advisor", "partner", "customer", "pilot customer", "product manager",
    "researcher", "student", "intern", "recruiter", "sales lead", "marketer", "lawyer",
    "accountant", "board member", "business angel", "consultant", "journalist", "teacher",
)  # fmt: skip
#: Sentence openings people type into a free-text field; ``{}`` are filled in below.
SENTENCES = (
    "looking for a {person} with experience in {topic} for {domain}",
    "happy to share what I learned about {topic} in {domain}",
    "I want to meet people working on {topic} and {topic}",
    "advice on {topic} for a small team in {domain}",
    "we are hiring a {person} who knows {topic}",
    "feedback on our {modifier} {topic} product from people in {domain}",
    "how to get started with {topic} as a {person}",
    "can introduce you to {person}s in {domain}",
    "I have built {modifier} {topic} tools for {domain} for ten years",
    "searching for a {person} to help us with {topic}",
    "interested in how {domain} companies use {topic}",
    "would love to talk about {topic} and {topic} over coffee",
    "need a {person} who understands {modifier} {topic}",
    "open to mentoring anyone new to {topic} or {topic}",
    "we run {topic} pilots with {domain} customers and want more partners",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Labs", "Oy", "Ltd", "GmbH", "AB", "Health", "Analytics", "Ventures", "Capital",
    "University", "Group", "Systems", "Studio", "Partners", "Foundation", "Inc", "Robotics",
    "Energy", "Bank", "Consulting", "Software", "Institute", "Media", "Logistics",
)  # fmt: skip
_SYLLABLES = (
    "ka", "lo", "vi", "ra", "sen", "tor", "mi", "no", "da", "zen", "ql", "ix", "or", "an",
    "el", "tra", "qu", "fy", "ly", "nex", "vo", "ri", "sa", "te", "mo", "gra", "phi", "lux",
    "cor", "dy", "bit", "flo", "ve", "ku", "sta", "pi", "ro", "hel", "mar", "tek", "ion",
)  # fmt: skip
ROLE_SHARES = {
    "job_seeker": 0.18,
    "employer": 0.14,
    "expert": 0.24,
    "founder": 0.12,
    "student": 0.14,
    "investor": 0.05,
    "other": 0.13,
}
MODE_SHARES = {"either": 0.8, "in_person": 0.12, "virtual": 0.08}
FIELDS = ("can_help_with", "looking_for", "interests")
CSV_HEADER = (
    "Name", "Email", "I can help with", "I'm looking for", "Interests", "Role",
    "Organization", "Meeting mode",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AttendeeRow:
    """One attendee as an organiser's file would hold them."""

    id: int
    can_help_with: tuple[str, ...]
    looking_for: tuple[str, ...]
    interests: tuple[str, ...]
    role: str
    organization: str = ""
    meeting_mode: str = "either"
    sessions: frozenset[int] | None = None


def _zipf(n: int, exponent: float, head: float = 0.0) -> np.ndarray:
    """Zipf(-Mandelbrot) weights ``1 / (rank + head) ** exponent``, summing to 1."""
    weights = 1.0 / (np.arange(1, n + 1) + head) ** exponent
    return weights / weights.sum()


def _coined_words(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """Product names, tools and niche jargon: the long tail of words nobody else writes."""
    words: list[str] = []
    while len(words) < count:
        word = "".join(
            _SYLLABLES[i] for i in rng.integers(len(_SYLLABLES), size=rng.integers(2, 4))
        )
        if word not in taken:
            taken.add(word)
            words.append(word.capitalize() if rng.random() < 0.3 else word)
    return words


class PhraseWriter:
    """Writes short phrases and free-text sentences from *words*, common words more often."""

    def __init__(self, words: Sequence[str], rng: np.random.Generator) -> None:
        self.words = words
        self.rng = rng
        self._word_p = _zipf(len(words), 0.8)

    def pick(self, pool: Sequence[str], p: np.ndarray | None = None) -> str:
        return pool[int(self.rng.choice(len(pool), p=p))]

    def topic(self) -> str:
        return self.pick(self.words, self._word_p)

    def short_phrase(self) -> str:
        """One to four words: "pricing", "B2B pricing", "pricing for retail", ..."""
        length = int(self.rng.choice(4, p=[0.3, 0.4, 0.22, 0.08])) + 1
        if length == 1:
            return self.topic()
        if length == 2:
            first = self.pick(MODIFIERS) if self.rng.random() < 0.5 else self.pick(DOMAINS)
            return f"{first} {self.topic()}"
        if length == 3:
            return f"{self.topic()} for {self.pick(DOMAINS)}"
        return f"{self.pick(MODIFIERS)} {self.topic()} for {self.pick(DOMAINS)}"

    def sentence(self) -> str:
        """A 6-15 word sentence without list separators, at most 100 characters."""
        fill = {
            "person": lambda: self.pick(PEOPLE),
            "topic": self.topic,
            "domain": lambda: self.pick(DOMAINS),
            "modifier": lambda: self.pick(MODIFIERS),
        }
        while True:
            text = self.pick(SENTENCES)
            while "{" in text:
                start = text.index("{")
                end = text.index("}", start)
                text = text[:start] + fill[text[start + 1 : end]]() + text[end + 1 :]
            if 6 <= len(text.split()) <= 15 and len(text) <= 100:
                return text


@dataclass(frozen=True)
class Vocabulary:
    """Distinct phrases, most popular first, and the words they are made of.

    A phrase's popularity is Zipf-Mandelbrot, ``1 / (rank + head) ** exponent``: the offset
    flattens the very top so that the most common phrase is written by about a third of
    attendees, not by three quarters as plain Zipf gives with ten phrases per attendee.
    """

    phrases: tuple[str, ...]
    words: tuple[str, ...]
    exponent: float
    head: float


@cache
def build_vocabulary(
    size: int = 6000,
    coined: int = 2500,
    sentence_share: float = 0.1,
    exponent: float = 1.1,
    head: float = 4.0,
    seed: int = 20261127,
) -> Vocabulary:
    """*size* distinct phrases (case-insensitively) from a few thousand words.

    Every everyday topic is a phrase of its own; the rest combine topics with modifiers and
    domains, and a tenth are free-text sentences. Popularity follows the words: short phrases
    of common words rank first, *coined* invented words and sentences mostly sit in the tail,
    as in real files.
    """
    rng = np.random.default_rng(seed)
    real = list(dict.fromkeys((*TOPICS, *PEOPLE)))
    words = real + _coined_words(rng, coined, {w.casefold() for w in real})
    # Each word points at the list entry it belongs to ("learning" -> "machine learning") and
    # that entry's popularity rank within its list.
    entry_of: dict[str, tuple[str, int]] = {}
    for group in (words, MODIFIERS, DOMAINS):
        for rank, entry in enumerate(group):
            for word in entry.casefold().split():
                entry_of.setdefault(word, (entry, rank))
    writer = PhraseWriter(words, rng)
    seen: set[str] = set()
    phrases: list[tuple[float, str]] = []

    def add(phrase: str, is_sentence: bool = False) -> None:
        if phrase.casefold() in seen:
            return
        seen.add(phrase.casefold())
        # Popular phrases are short and made of popular words; invented words sit in the tail.
        entries = dict(entry_of[w] for w in phrase.casefold().split() if w in entry_of)
        rank_key = (
            sum(np.log1p(rank) for rank in entries.values())
            + 0.7 * max(0, len(entries) - 1)
            + (2.0 if is_sentence else 0.0)
            + rng.normal(0.0, 0.7)
        )
        phrases.append((rank_key, phrase))

    for word in real:
        add(word)
    while len(phrases) < size:
        if rng.random() < sentence_share:
            add(writer.sentence(), is_sentence=True)
        else:
            add(writer.short_phrase())
    ordered = tuple(phrase for _, phrase in sorted(phrases))
    return Vocabulary(ordered, tuple(words), exponent, head)


def _field_order(rng: np.random.Generator, size: int, spread: float) -> np.ndarray:
    """Phrase indices by popularity for one field: the shared order, mildly reshuffled."""
    return np.argsort(np.log1p(np.arange(size)) + rng.normal(0.0, spread, size), kind="stable")


def realistic_rows(
    n: int, seed: int = 0, vocabulary: Vocabulary | None = None, unique_share: float = 0.1
) -> list[AttendeeRow]:
    """*n* attendees: 2-8 offers, 1-5 needs, 0-5 interests, Zipf-popular phrases.

    About *unique_share* of attendees also type a sentence of their own into one field; a
    fifth give an organisation among a few thousand; most meet in either mode.
    """
    vocabulary = vocabulary or build_vocabulary()
    rng = np.random.default_rng(seed)
    phrases = vocabulary.phrases
    cumulative = np.cumsum(_zipf(len(phrases), vocabulary.exponent, vocabulary.head))
    orders = {name: _field_order(rng, len(phrases), 0.7) for name in FIELDS}
    counts = {
        "can_help_with": rng.integers(2, 9, size=n),
        "looking_for": rng.integers(1, 6, size=n),
        "interests": rng.integers(0, 6, size=n),
    }
    # Draw with replacement, a few spare per person, and keep the first distinct ones.
    draws = {
        name: np.minimum(np.searchsorted(cumulative, rng.random((n, 24))), len(phrases) - 1)
        for name in FIELDS
    }
    roles = rng.choice(list(ROLE_SHARES), size=n, p=list(ROLE_SHARES.values()))
    modes = rng.choice(list(MODE_SHARES), size=n, p=list(MODE_SHARES.values()))
    companies = company_names(3000, seed + 1)
    company_p = _zipf(len(companies), 1.0)
    has_company = rng.random(n) < 0.2
    company_of = rng.choice(len(companies), size=n, p=company_p)
    types_own = rng.random(n) < unique_share
    own_field = rng.choice(3, size=n, p=[0.35, 0.5, 0.15])
    writer = PhraseWriter(vocabulary.words, np.random.default_rng(seed + 2))
    written: set[str] = {p.casefold() for p in phrases}
    rows = []
    for i in range(n):
        fields: dict[str, list[str]] = {}
        for name in FIELDS:
            picked = dict.fromkeys(orders[name][draws[name][i]].tolist())
            fields[name] = [phrases[j] for j in list(picked)[: counts[name][i]]]
        if types_own[i]:
            own = writer.sentence()
            while own.casefold() in written:
                own = writer.sentence()
            written.add(own.casefold())
            fields[FIELDS[own_field[i]]].append(own)
        rows.append(
            AttendeeRow(
                id=i + 1,
                can_help_with=tuple(fields["can_help_with"]),
                looking_for=tuple(fields["looking_for"]),
                interests=tuple(fields["interests"]),
                role=str(roles[i]),
                organization=companies[company_of[i]] if has_company[i] else "",
                meeting_mode=str(modes[i]),
            )
        )
    return rows


def company_names(count: int, seed: int) -> list[str]:
    """Invented organisation names, so that colleagues can be kept apart as in real events."""
    rng = np.random.default_rng(seed)
    names: dict[str, None] = {}
    while len(names) < count:
        stem = _coined_words(rng, 1, set())[0].capitalize()
        names[f"{stem} {COMPANY_SUFFIXES[rng.integers(len(COMPANY_SUFFIXES))]}"] = None
    return list(names)


def synthetic_rows(n: int, seed: int = 0) -> list[AttendeeRow]:
    """The package's own synthetic event, as rows."""
    from matchmaker.matching.synthetic import synthetic_profiles

    return [
        AttendeeRow(
            p.id,
            p.can_help_with,
            p.looking_for,
            p.interests,
            p.role,
            p.organization,
            p.meeting_mode,
            p.sessions,
        )
        for p in synthetic_profiles(n, seed=seed)
    ]


def attendee_rows(kind: str, n: int, seed: int = 0) -> list[AttendeeRow]:
    """Rows of the ``"realistic"`` or ``"synthetic"`` vocabulary."""
    if kind == "realistic":
        return realistic_rows(n, seed)
    if kind == "synthetic":
        return synthetic_rows(n, seed)
    raise ValueError(f"unknown vocabulary {kind!r}")


def to_profiles(rows: Iterable[AttendeeRow], profile_class: Callable[..., Any]) -> list[Any]:
    """Rows as ``profile_class`` objects (today's ``Profile`` or an older copy's)."""
    return [
        profile_class(
            id=r.id,
            can_help_with=r.can_help_with,
            looking_for=r.looking_for,
            interests=r.interests,
            role=r.role,
            organization=r.organization,
            meeting_mode=r.meeting_mode,
            sessions=r.sessions,
        )
        for r in rows
    ]


def vocabulary_figures(rows: Sequence[AttendeeRow]) -> dict[str, Any]:
    """What readers need to judge the data: how many distinct phrases, words and sets."""
    mentions: Counter[str] = Counter()
    words: set[str] = set()
    signatures = set()
    for r in rows:
        phrases = [p.casefold() for name in FIELDS for p in getattr(r, name)]
        mentions.update(phrases)
        for phrase in phrases:
            words.update(phrase.split())
        signatures.add(tuple(frozenset(p.casefold() for p in getattr(r, n)) for n in FIELDS))
    top, top_count = mentions.most_common(1)[0] if mentions else ("", 0)
    attendees_with_top = sum(
        1 for r in rows if any(p.casefold() == top for n in FIELDS for p in getattr(r, n))
    )
    return {
        "attendees": len(rows),
        "distinct_phrases": len(mentions),
        "distinct_words": len(words),
        "mentions": sum(mentions.values()),
        "top_phrase": top,
        "top_share_of_mentions": top_count / max(1, sum(mentions.values())),
        "top_share_of_attendees": attendees_with_top / max(1, len(rows)),
        "once_only_share": sum(1 for c in mentions.values() if c == 1) / max(1, len(mentions)),
        "distinct_phrase_sets": len(signatures),
    }


def write_csv(rows: Iterable[AttendeeRow], path: Path) -> None:
    """An organiser's attendee file: phrases joined with ", ", roles as the form shows them."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for r in rows:
            writer.writerow(
                [
                    f"Person {r.id}",
                    f"person{r.id}@example.org",
                    ", ".join(r.can_help_with),
                    ", ".join(r.looking_for),
                    ", ".join(r.interests),
                    ROLES[r.role],
                    r.organization,
                    r.meeting_mode,
                ]
            )
