"""Who may meet whom, as the small tables the kernels read.

Attendees fall into *classes* by role, meeting mode and sessions: two people may meet when
their roles may (`MatchSettings.roles_may_meet`), their modes do not exclude each other
("in_person" and "virtual" do) and their sessions intersect (None means every session).
An event has few classes, so the rules become class x class tables instead of a check per
pair. Declined pairs and the same-organisation rule are per person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from matchmaker.choices import MEETING_MODES, ROLES

from .types import MatchSettings, Profile

ROLE_IDS = {role: i for i, role in enumerate(ROLES)}
MODE_IDS = {mode: i for i, mode in enumerate(MEETING_MODES)}

#: (role id, meeting mode id, sessions or None for all): people of one class meet the same
#: other classes.
ClassKey = tuple[int, int, frozenset[int] | None]


def class_key(profile: Profile) -> ClassKey:
    """The compatibility class of one attendee; an unknown role counts as "other"."""
    role = ROLE_IDS.get(profile.role, ROLE_IDS["other"])
    return (role, MODE_IDS[profile.meeting_mode], profile.sessions)


def normalise_org(name: str) -> str:
    """The organisation as compared for the same-organisation rule: case and spaces folded."""
    return " ".join(name.casefold().split())


def class_tables(keys: Sequence[ClassKey], settings: MatchSettings) -> tuple[np.ndarray, ...]:
    """Which compatibility classes may meet: roles, then mode and sessions.

    Returns ``(compat, avail_ok, role_ok)``: class x class uint8 tables of "may meet" and
    "can meet in mode and sessions", and the role x role table of the role rules.
    """
    roles = list(ROLES)
    role_ok = np.array(
        [[settings.roles_may_meet(a, b) for b in roles] for a in roles], dtype=np.uint8
    )
    mode_ok = np.ones((3, 3), dtype=np.uint8)
    mode_ok[MODE_IDS["in_person"], MODE_IDS["virtual"]] = 0
    mode_ok[MODE_IDS["virtual"], MODE_IDS["in_person"]] = 0
    role = np.array([k[0] for k in keys], dtype=np.int64)
    mode = np.array([k[1] for k in keys], dtype=np.int64)
    session_ids = sorted({s for k in keys if k[2] is not None for s in k[2]})
    bit = {s: i for i, s in enumerate(session_ids)}
    words = max(1, (len(session_ids) + 63) // 64)
    masks = np.zeros((len(keys), words), dtype=np.uint64)
    for q, key in enumerate(keys):
        if key[2] is None:
            masks[q] = np.uint64(0xFFFFFFFFFFFFFFFF)
        else:
            for s in key[2]:
                masks[q, bit[s] // 64] |= np.uint64(1) << np.uint64(bit[s] % 64)
    n_keys = len(keys)
    compat = np.zeros((n_keys, n_keys), dtype=np.uint8)
    avail_ok = np.zeros((n_keys, n_keys), dtype=np.uint8)
    for start in range(0, n_keys, 256):  # in blocks: Q x Q x 8-byte masks can be large
        rows = slice(start, min(start + 256, n_keys))
        shared = np.zeros((rows.stop - start, n_keys), dtype=bool)
        for w in range(words):
            shared |= (masks[rows, None, w] & masks[None, :, w]) != 0
        block = shared & (mode_ok[mode[rows, None], mode[None, :]] != 0)
        avail_ok[rows] = block
        compat[rows] = block & (role_ok[role[rows, None], role[None, :]] != 0)
    return compat, avail_ok, role_ok


def declined_lists(
    pairs: Iterable[frozenset[int]], index: Mapping[int, int], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Declined partners per person as CSR arrays ``(ptr, idx)`` of row indices, sorted.

    ``index`` maps attendee ids to rows; pairs naming someone not in it are skipped.
    """
    declined: list[list[int]] = [[] for _ in range(n)]
    for pair in pairs:
        members = [index.get(pid) for pid in pair]
        if len(members) == 2 and None not in members:
            a, b = members
            declined[a].append(b)
            declined[b].append(a)
    lengths = np.fromiter(map(len, declined), dtype=np.int64, count=n)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    idx = np.fromiter(
        (m for d in declined for m in sorted(d)), dtype=np.int64, count=int(lengths.sum())
    )
    return ptr, idx
