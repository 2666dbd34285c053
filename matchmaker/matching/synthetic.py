"""Synthetic events for benchmarks, evaluation and tests (fixed seeds, no real people).

Events usually offer a short list of tags and people pick a few, the popular ones far more
often (Zipf), typed with their own capitalisation, plurals and abbreviations. That makes
overlap dense: most pairs share something, which is the hard case for matching at scale.
"""

from __future__ import annotations

import numpy as np

from .types import Profile

#: Canonical tags and a few ways people write them.
SKILLS: dict[str, tuple[str, ...]] = {
    "Python": ("python", "Python 3", "py"),
    "machine learning": ("ML", "Machine-Learning", "machine learning models"),
    "data analysis": ("data analytics", "Data Analysis", "analysing data"),
    "data visualisation": ("data viz", "dataviz", "data visualization", "dashboards"),
    "SQL": ("sql", "SQL databases", "PostgreSQL"),
    "JavaScript": ("JS", "javascript", "JavaScript development"),
    "React": ("ReactJS", "React.js", "react developers"),
    "Kubernetes": ("k8s", "kubernetes", "K8s clusters"),
    "cloud architecture": ("cloud architectures", "AWS architecture", "cloud infrastructure"),
    "DevOps": ("devops", "CI/CD", "dev ops"),
    "cybersecurity": ("cyber security", "infosec", "security audits"),
    "UX research": ("user research", "UX", "usability testing"),
    "UX design": ("user experience design", "UX designers", "product design"),
    "product management": ("product manager", "PM skills", "product strategy"),
    "product-market fit": ("PMF", "product market fit", "finding product-market fit"),
    "go-to-market": ("GTM", "go to market", "launch strategy"),
    "growth marketing": ("growth hacking", "growth marketer", "performance marketing"),
    "B2B sales": ("enterprise sales", "B2B selling", "sales talent"),
    "pricing strategy": ("pricing", "pricing strategies", "SaaS pricing"),
    "fundraising": ("raising capital", "fund raising", "seed funding"),
    "introductions to VCs": ("VC intros", "investor introductions", "intros to investors"),
    "due diligence": ("technical due diligence", "DD", "due-diligence"),
    "board experience": ("board roles", "board membership", "non-executive director"),
    "recruiting": ("recruiter", "recruitment", "hiring"),
    "employer branding": ("employer brand", "Employer Branding", "talent branding"),
    "CV review": ("resume review", "CV feedback", "CV tips"),
    "interview practice": ("mock interviews", "interview prep", "interview coaching"),
    "salary negotiation": ("negotiating salary", "salary negotiations", "pay negotiation"),
    "career change advice": ("career change", "changing careers", "career switch"),
    "mentoring": ("mentorship", "mentor", "mentoring juniors"),
    "public speaking": ("speaking", "speaking opportunities", "conference talks"),
    "GDPR compliance": ("GDPR", "data protection", "privacy compliance"),
    "statistics": ("statistical analysis", "stats", "Statistics"),
    "research skills": ("academic research", "research methods", "research"),
    "customer support": ("customer service", "support", "helpdesk"),
    "customer success": ("CS", "customer success people", "account management"),
    "project coordination": ("project management", "coordinating projects", "PMO"),
    "team leadership": ("leading teams", "leadership", "team lead"),
    "copywriting": ("copy writing", "writing copy", "content writing"),
    "social media": ("social media marketing", "SoMe", "Instagram marketing"),
    "video editing": ("video production", "editing video", "Premiere Pro"),
    "Excel": ("spreadsheets", "MS Excel", "excel modelling"),
    "financial modelling": ("financial models", "financial modeling", "FP&A"),
    "accounting": ("bookkeeping", "accountant", "Accounting"),
    "legal advice": ("startup law", "legal", "contracts"),
    "LinkedIn profile tips": ("LinkedIn", "LinkedIn profile", "linkedin tips"),
    "internships": ("internship", "summer job", "trainee positions"),
    "thesis topic": ("thesis", "master's thesis", "thesis supervisor"),
    "beta testers": ("beta testing", "early users", "pilot customers"),
    "co-founder": ("cofounder", "technical co-founder", "co founder"),
    "deep learning": ("neural networks", "DL", "deep-learning"),
    "NLP": ("natural language processing", "text mining", "LLMs"),
    "computer vision": ("image recognition", "CV models", "vision AI"),
    "data engineering": ("data engineers", "data pipelines", "ETL"),
    "mobile development": ("iOS development", "Android development", "mobile apps"),
    "Rust": ("rust", "Rust programming", "rustlang"),
    "Go": ("golang", "Go programming", "Go developers"),
    "Java": ("java", "Java developers", "JVM"),
    "embedded systems": ("embedded", "firmware", "embedded software"),
    "robotics": ("robots", "Robotics", "robot software"),
    "supply chain": ("logistics", "supply-chain", "supply chain management"),
    "sustainability reporting": ("ESG reporting", "CSRD", "sustainability reports"),
    "grant writing": ("grant applications", "EU funding", "grants"),
    "community building": ("community management", "building communities", "community"),
    "event organising": ("event planning", "organizing events", "meetups"),
    "translation": ("translations", "Finnish and English", "localisation"),
    "photography": ("photographer", "photos", "product photography"),
    "illustration": ("illustrator", "drawing", "illustrations"),
    "open source maintenance": ("open source", "OSS maintainer", "maintaining open source"),
    "technical writing": ("documentation", "tech writing", "docs"),
    "QA testing": ("quality assurance", "QA", "test automation"),
    "hardware prototyping": ("prototyping", "3D printing", "hardware"),
    "healthcare regulation": ("medical device regulation", "MDR", "health regulation"),
    "energy markets": ("electricity markets", "energy trading", "power markets"),
    "procurement": ("public procurement", "purchasing", "tenders"),
    "negotiation": ("negotiating", "negotiation skills", "deal making"),
    "SEO": ("search engine optimisation", "search engine optimization", "seo"),
    "bootstrapping": ("bootstrapped startups", "bootstrap", "self-funding"),
    "hiring first employees": ("first hires", "early hiring", "hiring first employee"),
    "remote team management": ("remote teams", "managing remote teams", "distributed teams"),
}
INTERESTS: tuple[str, ...] = (
    "fintech", "AI ethics", "design systems", "sustainability", "startups", "climate tech",
    "open source", "remote work", "music", "running", "photography", "gaming",
    "urban mobility", "education", "public sector digitalisation", "diversity in tech",
    "health tech", "space tech", "biotech", "edtech", "cycling", "board games", "cooking",
    "travel", "history", "philosophy", "chess", "hiking", "film", "literature", "yoga",
    "circular economy", "quantum computing", "robotics", "e-sports", "crypto", "art",
    "architecture", "agritech", "ocean conservation",
)  # fmt: skip
ROLE_SHARES = {
    "job_seeker": 0.18, "employer": 0.14, "expert": 0.24, "founder": 0.12,
    "student": 0.14, "investor": 0.05, "other": 0.13,
}  # fmt: skip
MODE_SHARES = {"in_person": 0.4, "virtual": 0.25, "either": 0.35}


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def synthetic_profiles(
    n: int,
    seed: int = 0,
    exponent: float = 1.0,
    variant_rate: float = 0.3,
    n_sessions: int = 8,
) -> list[Profile]:
    """*n* attendees with Zipf-popular tags, written in varied wording.

    Each attendee offers 1-4 tags, looks for 1-3 and lists 0-4 interests; 30% of phrases use
    another wording of the tag; a quarter give a subset of the event's sessions.
    """
    rng = np.random.default_rng(seed)
    tags = list(SKILLS)
    # Popularity of a tag differs between offers and needs, as in real events.
    offer_p = _zipf_weights(len(tags), exponent)
    need_p = offer_p[rng.permutation(len(tags))]
    interest_p = _zipf_weights(len(INTERESTS), exponent)
    roles = rng.choice(list(ROLE_SHARES), size=n, p=list(ROLE_SHARES.values()))
    modes = rng.choice(list(MODE_SHARES), size=n, p=list(MODE_SHARES.values()))
    n_orgs = max(1, n // 8)
    org_p = _zipf_weights(n_orgs, 1.1)

    def words(count: int, p: np.ndarray, names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        picked = rng.choice(len(names), size=min(count, len(names)), replace=False, p=p)
        out = []
        for i in picked:
            name = names[i]
            variants = SKILLS.get(name, ())
            if variants and rng.random() < variant_rate:
                name = variants[rng.integers(len(variants))]
            out.append(name)
        return tuple(out)

    profiles = []
    for i in range(n):
        sessions = None
        if rng.random() < 0.25:
            size = int(rng.integers(2, n_sessions))
            sessions = frozenset(rng.choice(n_sessions, size=size, replace=False).tolist())
        org = f"Org {rng.choice(n_orgs, p=org_p)}" if rng.random() < 0.8 else ""
        profiles.append(
            Profile(
                id=i + 1,
                can_help_with=words(int(rng.integers(1, 5)), offer_p, tags),
                looking_for=words(int(rng.integers(1, 4)), need_p, tags),
                interests=words(int(rng.integers(0, 5)), interest_p, INTERESTS),
                role=str(roles[i]),
                organization=org,
                meeting_mode=str(modes[i]),
                sessions=sessions,
            )
        )
    return profiles


def planted_event(
    n: int = 600, seed: int = 0, twin_share: float = 0.25
) -> tuple[list[Profile], dict[int, set[int]]]:
    """An event with known answers: who can help whom, by hidden topic, not by wording.

    Every attendee needs 1-2 topics and offers 1-2 others, each mention worded at random
    among the tag's variants (so offer and need rarely read the same). A quarter are *twins*
    of another attendee: same needs and offers in other words and the same interests, so
    they look alike but cannot help each other. Returns the profiles and, per attendee, the
    set of attendees who can help them or whom they can help (the relevant partners).
    """
    rng = np.random.default_rng(seed)
    tags = list(SKILLS)
    wordings = {t: (t, *SKILLS[t]) for t in tags}

    def word(topic: str) -> str:
        options = wordings[topic]
        return options[int(rng.integers(len(options)))]

    hidden: list[tuple[set[str], set[str], tuple[str, ...]]] = []
    while len(hidden) < n:
        if hidden and rng.random() < twin_share:
            offers, needs, interests = hidden[int(rng.integers(len(hidden)))]
        else:
            picked = rng.choice(len(tags), size=4, replace=False)
            n_needs = int(rng.integers(1, 3))
            needs = {tags[i] for i in picked[:n_needs]}
            offers = {tags[i] for i in picked[n_needs : n_needs + int(rng.integers(1, 3))]}
            interests = tuple(
                INTERESTS[i] for i in rng.choice(len(INTERESTS), size=2, replace=False)
            )
        hidden.append((offers, needs, interests))
    profiles = [
        Profile(
            id=i + 1,
            can_help_with=tuple(word(t) for t in sorted(offers)),
            looking_for=tuple(word(t) for t in sorted(needs)),
            interests=interests,
        )
        for i, (offers, needs, interests) in enumerate(hidden)
    ]
    relevant: dict[int, set[int]] = {p.id: set() for p in profiles}
    for i, (_, needs_i, _) in enumerate(hidden):
        for j, (offers_j, _, _) in enumerate(hidden):
            if i != j and needs_i & offers_j:
                relevant[i + 1].add(j + 1)
                relevant[j + 1].add(i + 1)
    return profiles, relevant
