"""A believable demo event: varied roles, offers and needs that complement each other.

Profiles are built from role templates so that job seekers, employers, experts, founders
and investors each bring things others look for, giving matching real work to do.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta

from .events import local_to_utc, numbered_tables
from .extensions import db
from .models import Attendee, Event, NetworkingSession, Organizer

DEMO_ORGANIZER_EMAIL = "demo@example.org"
DEMO_ORGANIZER_PASSWORD = "demo-password-2026"
DEMO_EVENT_SLUG = "nordic-founders-day"

FIRST_NAMES = [
    "Ana",
    "Mikko",
    "Sofia",
    "Jonas",
    "Leila",
    "Tomás",
    "Aino",
    "Ravi",
    "Emma",
    "Kwame",
    "Ingrid",
    "Yuki",
    "Omar",
    "Elina",
    "Lucas",
    "Priya",
    "Henrik",
    "Chloé",
    "Matteo",
    "Zara",
    "Oskar",
    "Amara",
    "Felix",
    "Noor",
    "Ville",
    "Hana",
    "Diego",
    "Maja",
    "Samuel",
    "Lina",
]
LAST_NAMES = [
    "Silva",
    "Virtanen",
    "Lindqvist",
    "Okafor",
    "Haddad",
    "Novak",
    "Korhonen",
    "Mehta",
    "Andersen",
    "Mensah",
    "Berg",
    "Tanaka",
    "Rahman",
    "Nieminen",
    "Moreau",
    "Iyer",
    "Dahl",
    "Rossi",
    "Ahmed",
    "Laine",
    "Costa",
    "Fischer",
    "Kim",
    "Nyström",
    "Garcia",
]
ORGANIZATIONS = [
    "Acme Analytics",
    "Northwind Health",
    "Sisu Games",
    "GreenGrid Energy",
    "Kaleva Media",
    "Polar Robotics",
    "Fjord Fintech",
    "Tundra Capital",
    "Aurora Ventures",
    "Helsinki University",
    "Baltic Logistics",
    "Lumen Design Studio",
    "Oak & Pine Legal",
    "Nordic Cloud",
    "Arctic Bio",
]

ROLE_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "job_seeker": {
        "titles": [
            "Data analyst",
            "Frontend developer",
            "UX designer",
            "Product manager",
            "Marketing specialist",
            "Backend developer",
        ],
        "offers": [
            "Python",
            "data visualisation",
            "React",
            "user research",
            "SQL",
            "copywriting",
            "TypeScript",
            "Figma prototypes",
            "customer support",
        ],
        "needs": [
            "CV review",
            "job referrals",
            "salary negotiation",
            "portfolio feedback",
            "interview practice",
            "career change advice",
            "junior developer roles",
        ],
    },
    "employer": {
        "titles": ["Head of Talent", "Engineering manager", "CTO", "Recruiter", "HR director"],
        "offers": [
            "job referrals",
            "interview practice",
            "hiring process insight",
            "career change advice",
            "employer branding",
        ],
        "needs": [
            "React developers",
            "data analysts",
            "UX designers",
            "machine learning engineers",
            "backend developers",
            "product managers",
        ],
    },
    "expert": {
        "titles": [
            "Principal consultant",
            "Staff engineer",
            "Growth advisor",
            "Data scientist",
            "Patent attorney",
            "Design lead",
        ],
        "offers": [
            "machine learning",
            "GDPR compliance",
            "go-to-market strategy",
            "pricing",
            "Kubernetes",
            "growth marketing",
            "UX audits",
            "intellectual property",
            "CV review",
            "portfolio feedback",
            "data visualisation",
        ],
        "needs": [
            "speaking opportunities",
            "consulting clients",
            "board roles",
            "interesting side projects",
        ],
    },
    "founder": {
        "titles": ["Founder & CEO", "Co-founder", "Founder"],
        "offers": [
            "beta testing opportunities",
            "startup internships",
            "product feedback",
            "founder war stories",
            "climate tech partnerships",
        ],
        "needs": [
            "seed funding",
            "go-to-market strategy",
            "a technical co-founder",
            "pricing",
            "GDPR compliance",
            "first enterprise customers",
            "React developers",
            "machine learning",
        ],
    },
    "investor": {
        "titles": ["Partner", "Angel investor", "Principal", "Investment manager"],
        "offers": [
            "seed funding",
            "fundraising advice",
            "introductions to VCs",
            "board experience",
            "pitch deck feedback",
        ],
        "needs": [
            "climate tech startups",
            "health tech founders",
            "deal flow",
            "B2B SaaS founders",
            "co-investors",
        ],
    },
    "student": {
        "titles": ["MSc student", "Computer science student", "Design student"],
        "offers": ["Python", "user research", "social media", "fresh perspective"],
        "needs": ["internships", "mentoring", "startup internships", "CV review"],
    },
}
ROLE_COUNTS = {
    "job_seeker": 14,
    "employer": 9,
    "expert": 12,
    "founder": 11,
    "investor": 7,
    "student": 7,
}
INTERESTS = [
    "climate tech",
    "health tech",
    "fintech",
    "open source",
    "remote work",
    "design systems",
    "AI ethics",
    "urban mobility",
    "education",
    "sustainability",
    "gaming",
    "diversity in tech",
]


@dataclass
class DemoPerson:
    name: str
    email: str
    organization: str
    job_title: str
    role: str
    bio: str
    can_help_with: list[str]
    looking_for: list[str]
    interests: list[str]
    meeting_mode: str
    consent_share_contact: bool


def demo_people(seed: int = 2026) -> list[DemoPerson]:
    rng = random.Random(seed)
    people: list[DemoPerson] = []
    used_names: set[str] = set()
    for role, count in ROLE_COUNTS.items():
        template = ROLE_TEMPLATES[role]
        for _ in range(count):
            while True:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                if name not in used_names:
                    used_names.add(name)
                    break
            if role == "student":
                organization = "Helsinki University"
            elif role == "job_seeker" and rng.random() < 0.4:
                organization = ""
            else:
                organization = rng.choice(ORGANIZATIONS)
            title = rng.choice(template["titles"])
            offers = rng.sample(
                template["offers"], k=min(len(template["offers"]), rng.randint(2, 4))
            )
            needs = rng.sample(template["needs"], k=min(len(template["needs"]), rng.randint(1, 3)))
            interests = rng.sample(INTERESTS, k=rng.randint(2, 4))
            # "Chloé Andersen" -> "chloe.andersen": accents dropped, not the letters.
            plain = unicodedata.normalize("NFKD", name.lower().replace(" ", "."))
            local = plain.encode("ascii", "ignore").decode()
            people.append(
                DemoPerson(
                    name=name,
                    email=f"{local}@example.org",
                    organization=organization,
                    job_title=title,
                    role=role,
                    bio=f"{title}{' at ' + organization if organization else ''}. "
                    f"Happy to talk about {offers[0]} and {interests[0]}.",
                    can_help_with=offers,
                    looking_for=needs,
                    interests=interests,
                    meeting_mode=rng.choices(["either", "in_person", "virtual"], [6, 3, 1])[0],
                    consent_share_contact=rng.random() < 0.8,
                )
            )
    rng.shuffle(people)
    return people


def demo_event_times(today: date, zone: str = "Europe/Helsinki"):  # noqa: ANN201
    """Three weeks from today, a day with a morning and an afternoon networking session."""
    day = today + timedelta(days=21)
    return {
        "starts_at": local_to_utc(day, time(9, 0), zone),
        "ends_at": local_to_utc(day, time(17, 0), zone),
        "sessions": [
            (
                "Morning speed networking",
                local_to_utc(day, time(10, 0), zone),
                local_to_utc(day, time(12, 0), zone),
            ),
            (
                "Afternoon 1:1s",
                local_to_utc(day, time(14, 0), zone),
                local_to_utc(day, time(16, 0), zone),
            ),
        ],
    }


def create_demo_event(today: date) -> Event | None:
    """The demo organizer (once) and the demo event with its attendees, in one transaction.

    Returns None, changing nothing, when the demo event already exists.
    """
    if db.session.scalar(db.select(Event).where(Event.slug == DEMO_EVENT_SLUG)) is not None:
        return None
    organizer = db.session.scalar(Organizer.by_email(DEMO_ORGANIZER_EMAIL))
    if organizer is None:
        organizer = Organizer(email=DEMO_ORGANIZER_EMAIL, name="Demo Organizer")
        organizer.set_password(DEMO_ORGANIZER_PASSWORD)
        db.session.add(organizer)
        db.session.flush()
    times = demo_event_times(today)
    event = Event(
        organizer=organizer,
        name="Nordic Founders Day",
        slug=DEMO_EVENT_SLUG,
        description="A day of 1:1 meetings between founders, investors, experts, employers "
        "and people looking for their next role.",
        timezone="Europe/Helsinki",
        venue="Maria 01, Lapinlahdenkatu 16, Helsinki",
        starts_at=times["starts_at"],
        ends_at=times["ends_at"],
        meeting_minutes=15,
        buffer_minutes=5,
        table_names=numbered_tables(12),
        virtual_link_template="",
        max_meetings_per_attendee=6,
        registration_open=True,
        sessions=[
            NetworkingSession(name=name, starts_at=start, ends_at=end)
            for name, start, end in times["sessions"]
        ],
    )
    db.session.add(event)
    db.session.flush()
    for person in demo_people():
        db.session.add(Attendee(event_id=event.id, **person.__dict__))
    db.session.commit()
    return event
