"""Turn profiles into ranked, explained, exposure-capped suggestions.

`Matcher` keeps what it learnt from one event (phrase space, signatures, candidate lists) so
that one attendee's edit refreshes only the lists it touches; `suggest_partners` is the
one-shot form. See the package docstring for the score and the guarantees.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import chain

import numba
import numpy as np
import scipy.sparse as sp

from matchmaker.choices import MEETING_MODES, ROLES

from . import kernels
from .models import MatchResult, MatchSettings, Profile, Reason, Suggestion
from .text import QUANTUM, AliasTable, PhraseSpace, phrase_key, shipped_aliases

#: Weight of shared interests in the score; the rest is the help score.
SHARED_WEIGHT = 0.2
#: Weight of the weaker help direction; the stronger one gets ``1 - MUTUAL_WEIGHT``.
MUTUAL_WEIGHT = 0.3
#: Candidates swept per block by the ranking kernel (fits the accumulators in L1/L2).
TILE = 2048
#: Viewer signatures swept together over one tile, so the tile's rows are read from memory
#: once per batch instead of once per viewer.
BATCH = 64
#: Bytes allowed for dense concept rows (4 byte matrices of n_rows x n_signatures).
DENSE_BUDGET = 256 * 2**20
#: Candidates ranked exactly per attendee, as a multiple of top_k: the exposure pass needs
#: room to move past partners who are already in as many lists as allowed.
DEPTH_FACTOR = 4
#: Reasons kept per direction.
REASONS_PER_DIRECTION = 3

_ROLE_IDS = {role: i for i, role in enumerate(ROLES)}
_MODE_IDS = {mode: i for i, mode in enumerate(MEETING_MODES)}
_DIRECTIONS = ("they_help", "you_help", "shared")
_UNMATCHED = ("no_compatible_partner", "no_shared_availability", "no_shared_topics")

Progress = Callable[[int, int], None]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building results.

    Matching creates hundreds of thousands of small acyclic objects (suggestions, reasons);
    each automatic collection then walks all of them, which costs more than the matching
    itself. Reference counting still frees everything; the previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _normalise_org(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class _Person:
    """What matching needs from one profile, computed once per profile version."""

    #: (concept ids, phrase text ids) for offers, needs, interests, in the order written
    fields: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]
    signature: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
    class_key: tuple[int, int, frozenset[int] | None]
    org: str

    @property
    def empty(self) -> bool:
        return not any(self.signature)


def _csr(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    idx = np.fromiter(chain.from_iterable(rows), dtype=np.int32, count=int(ptr[-1]))
    return ptr, idx


def _inverse_counts(ptr: np.ndarray) -> np.ndarray:
    """``1 / (QUANTUM * row length)``, 0 for empty rows: turns integer sums into means."""
    counts = np.diff(ptr).astype(np.float64)
    out = np.zeros_like(counts)
    np.divide(1.0, QUANTUM * counts, out=out, where=counts > 0)
    return out


def _postings(ptr: np.ndarray, idx: np.ndarray, val: np.ndarray | None, n_cols: int):
    """Transpose a row -> columns CSR into column -> rows (an inverted index)."""
    n_rows = len(ptr) - 1
    data = np.ones(len(idx), dtype=np.int32) if val is None else val
    matrix = sp.csr_matrix((data, idx, ptr), shape=(n_rows, n_cols)).tocsc()
    matrix.sort_indices()
    return (
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int32),
        matrix.data.astype(np.int32),
    )


class Matcher:
    """Suggest partners for the attendees of one event and keep them current.

    Parameters
    ----------
    settings : MatchSettings, optional
        Organizer's rules; defaults to `MatchSettings()`.

    Attributes
    ----------
    result_ : MatchResult
        Suggestions for the profiles seen so far, refreshed by `fit`, `update`, `remove`.
    """

    def __init__(self, settings: MatchSettings | None = None) -> None:
        # A copy, because `decline` adds pairs and the caller's object must not change.
        self.settings = replace(settings) if settings else MatchSettings()

    # -- public ----------------------------------------------------------------------------

    def fit(self, profiles: Iterable[Profile], progress: Progress | None = None) -> Matcher:
        """Learn the event's phrases and compute every attendee's suggestions."""
        with _collector_paused():
            return self._fit(profiles, progress)

    def _fit(self, profiles: Iterable[Profile], progress: Progress | None) -> Matcher:
        profiles = list(profiles)
        ids = [p.id for p in profiles]
        if len(set(ids)) != len(ids):
            raise ValueError("profile ids must be unique")
        self.aliases_: AliasTable = shipped_aliases().extended(self.settings.extra_synonyms)
        self._key_cache: dict[str, str] = {}
        self._text_ids: dict[str, int] = {}
        self._reason_cache: dict[tuple[int, int, int], Reason] = {}
        keys = {self._key(t) for p in profiles for t in self._phrases(p)}
        self.space_ = PhraseSpace().fit(keys)
        self._sim = self.space_.matrix()
        self._profiles = {p.id: p for p in sorted(profiles, key=lambda p: p.id)}
        self._people = {pid: self._person(p) for pid, p in self._profiles.items()}
        self._build()
        depth = self._depth
        n = len(self._ids)
        self._cand_idx = np.full((n, depth), -1, dtype=np.int64)
        self._cand_score = np.zeros((n, depth), dtype=np.float64)
        self._cand_cnt = np.zeros(n, dtype=np.int64)
        self._rank(self._viewer_groups(np.arange(n)), progress)
        self._lists: dict[int, list[Suggestion]] = {}
        self._finish(changed=None)
        return self

    def update(self, profile: Profile) -> set[int]:
        """Add or replace one profile; return the ids whose suggestions changed."""
        self._check_fitted()
        with _collector_paused():
            return self._apply({profile.id: profile}, set())

    def remove(self, profile_id: int) -> set[int]:
        """Forget one attendee; return the ids whose suggestions changed."""
        self._check_fitted()
        if profile_id not in self._profiles:
            raise KeyError(profile_id)
        with _collector_paused():
            return self._apply({}, {profile_id})

    def decline(self, a: int, b: int) -> set[int]:
        """Never suggest *a* and *b* to each other again; return the ids whose lists changed."""
        self._check_fitted()
        self.settings.declined_pairs = self.settings.declined_pairs | {frozenset((a, b))}
        with _collector_paused():
            return self._apply({}, set(), touched={a, b})

    # -- text ------------------------------------------------------------------------------

    @staticmethod
    def _phrases(profile: Profile) -> Iterable[str]:
        yield from profile.can_help_with
        yield from profile.looking_for
        yield from profile.interests

    def _key(self, text: str) -> str:
        key = self._key_cache.get(text)
        if key is None:
            key = self._key_cache[text] = phrase_key(text, self.aliases_)
        return key

    def _person(self, profile: Profile) -> _Person:
        fields = []
        index = self.space_.index
        text_ids = self._text_ids
        for phrases in (profile.can_help_with, profile.looking_for, profile.interests):
            seen: dict[int, int] = {}
            for text in phrases:
                key = self._key(text)
                if key:
                    text_id = text_ids.setdefault(text, len(text_ids))
                    seen.setdefault(index[key], text_id)
            fields.append((tuple(seen), tuple(seen.values())))
        signature = (
            tuple(sorted(fields[0][0])),
            tuple(sorted(fields[1][0])),
            tuple(sorted(fields[2][0])),
        )
        role = _ROLE_IDS.get(profile.role, _ROLE_IDS["other"])
        class_key = (role, _MODE_IDS[profile.meeting_mode], profile.sessions)
        return _Person(tuple(fields), signature, class_key, _normalise_org(profile.organization))

    # -- arrays ----------------------------------------------------------------------------

    def _build(self) -> None:
        """Flatten the people into the arrays the kernels read."""
        settings = self.settings
        self._depth = DEPTH_FACTOR * settings.top_k
        self._ids = np.fromiter(self._profiles, dtype=np.int64, count=len(self._profiles))
        self._index = {int(pid): i for i, pid in enumerate(self._ids)}
        people = [self._people[int(pid)] for pid in self._ids]
        n = len(people)
        n_concepts = len(self.space_.keys)

        signatures: dict[tuple, int] = {}
        classes: dict[tuple, int] = {}
        orgs: dict[str, int] = {}
        sig_of = np.full(n, -1, dtype=np.int64)
        cls_of = np.empty(n, dtype=np.int64)
        org_of = np.full(n, -1, dtype=np.int64)
        for i, person in enumerate(people):
            if not person.empty:
                sig_of[i] = signatures.setdefault(person.signature, len(signatures))
            cls_of[i] = classes.setdefault(person.class_key, len(classes))
            if person.org:
                org_of[i] = orgs.setdefault(person.org, len(orgs))
        self._empty = sig_of < 0
        self._sig_of, self._cls_of, self._org_of = sig_of, cls_of, org_of
        self._role_of = np.array([p.class_key[0] for p in people], dtype=np.int64)

        sig_list = list(signatures)
        offer_ptr, offer_idx = _csr([s[0] for s in sig_list])
        need_ptr, need_idx = _csr([s[1] for s in sig_list])
        int_ptr, int_idx = _csr([s[2] for s in sig_list])
        need_mask = np.zeros(max(n_concepts, 1), dtype=np.uint8)
        need_mask[need_idx] = 1
        int_mask = np.zeros(max(n_concepts, 1), dtype=np.uint8)
        int_mask[int_idx] = 1
        sim = self._sim
        soft_offer = kernels.soft_rows(
            offer_ptr, offer_idx, sim.indptr, sim.indices, sim.data, need_mask, n_concepts
        )
        soft_int = kernels.soft_rows(
            int_ptr, int_idx, sim.indptr, sim.indices, sim.data, int_mask, n_concepts
        )
        self._sig_arrays = (
            need_ptr, need_idx, _inverse_counts(need_ptr),
            *soft_offer,
            int_ptr, int_idx, _inverse_counts(int_ptr),
            *soft_int,
            *_postings(*soft_offer, n_concepts),
            *_postings(need_ptr, need_idx, None, n_concepts)[:2],
            *_postings(*soft_int, n_concepts),
            *_postings(int_ptr, int_idx, None, n_concepts)[:2],
        )  # fmt: skip

        self._dense = self._dense_rows(n_concepts, len(sig_list))

        order = np.flatnonzero(~self._empty)
        order = order[np.argsort(sig_of[order], kind="stable")]
        self._mem_ptr = np.searchsorted(sig_of[order], np.arange(len(sig_list) + 1)).astype(
            np.int64
        )
        self._mem_person = order.astype(np.int64)

        class_keys = tuple(classes)
        if getattr(self, "_class_keys", None) != class_keys:
            self._class_keys = class_keys
            self._compat, self._avail_ok, self._role_ok = self._class_tables(list(classes))

        declined = [[] for _ in range(n)]
        for pair in settings.declined_pairs:
            members = [self._index.get(pid) for pid in pair]
            if len(members) == 2 and None not in members:
                a, b = members
                declined[a].append(b)
                declined[b].append(a)
        self._decl_ptr, decl_idx = _csr([sorted(d) for d in declined])
        self._decl_idx = decl_idx.astype(np.int64)
        # Room kept in a group's heap for candidates dropped one viewer at a time: the viewer
        # itself and its declined partners (colleagues are filtered per group).
        self._extra = 1 + np.diff(self._decl_ptr)
        self._phrase_arrays: list[np.ndarray] | None = None

    def _dense_rows(self, n_concepts: int, n_sig: int) -> tuple[np.ndarray, ...]:
        """Byte rows (concept x signature) for concepts common enough to sweep densely.

        A concept held by at least 1/64 of the signatures is cheaper to add as a contiguous
        row than to scatter through its posting list; rows are capped by `DENSE_BUDGET`.
        """
        (need_ptr, need_idx, inv_need, offer_ptr, offer_idx, offer_val,
         int_ptr, int_idx, inv_int, zin_ptr, zin_idx, zin_val,
         xp_ptr, _, _, np_ptr, _, zp_ptr, _, _, ip_ptr, _) = self._sig_arrays  # fmt: skip
        out = []
        for rows_ptr, rows_idx, rows_val, hard_ptr, hard_idx, post_a, post_b in (
            (offer_ptr, offer_idx, offer_val, need_ptr, need_idx, xp_ptr, np_ptr),
            (zin_ptr, zin_idx, zin_val, int_ptr, int_idx, zp_ptr, ip_ptr),
        ):
            load = np.diff(post_a) + np.diff(post_b)
            candidates = np.flatnonzero(load >= max(n_sig / 64, 1))
            candidates = candidates[np.argsort(-load[candidates], kind="stable")]
            candidates = np.sort(candidates[: max(DENSE_BUDGET // (4 * max(n_sig, 1)), 0)])
            row_of = np.full(max(n_concepts, 1), -1, dtype=np.int64)
            row_of[candidates] = np.arange(len(candidates))
            soft = np.zeros((len(candidates), n_sig), dtype=np.uint8)
            hard = np.zeros((len(candidates), n_sig), dtype=np.uint8)
            sig = np.repeat(np.arange(n_sig), np.diff(rows_ptr))
            keep = row_of[rows_idx] >= 0
            soft[row_of[rows_idx[keep]], sig[keep]] = rows_val[keep]
            sig = np.repeat(np.arange(n_sig), np.diff(hard_ptr))
            keep = row_of[hard_idx] >= 0
            hard[row_of[hard_idx[keep]], sig[keep]] = 1
            out.extend([row_of, soft, hard])
        need_row, x_dense, n_dense, int_row, z_dense, i_dense = out
        return (
            need_row, int_row, x_dense, n_dense, z_dense, i_dense,
            inv_need.astype(np.float32), inv_int.astype(np.float32),
        )  # fmt: skip

    def _class_tables(self, keys: list[tuple]) -> tuple[np.ndarray, ...]:
        """Which compatibility classes may meet: roles, then mode and sessions."""
        settings = self.settings
        roles = list(ROLES)
        role_ok = np.array(
            [[settings.roles_may_meet(a, b) for b in roles] for a in roles], dtype=np.uint8
        )
        mode_ok = np.ones((3, 3), dtype=np.uint8)
        mode_ok[_MODE_IDS["in_person"], _MODE_IDS["virtual"]] = 0
        mode_ok[_MODE_IDS["virtual"], _MODE_IDS["in_person"]] = 0
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

    def _viewer_groups(self, viewers: np.ndarray) -> tuple[np.ndarray, ...]:
        """Group viewers by (signature, class, organisation); a unit is one signature's groups."""
        viewers = viewers[~self._empty[viewers]]
        sig = self._sig_of[viewers]
        cls = self._cls_of[viewers]
        if self.settings.exclude_same_organization:
            org = self._org_of[viewers]
        else:
            org = np.full(len(viewers), -1, dtype=np.int64)
        order = np.lexsort((viewers, org, cls, sig))
        viewers, sig, cls, org = viewers[order], sig[order], cls[order], org[order]
        if len(viewers) == 0:
            empty = np.zeros(1, dtype=np.int64)
            return empty, empty[:0], empty[:0], empty[:0], empty[:0], empty, empty[:0]
        new_group = np.ones(len(viewers), dtype=bool)
        new_group[1:] = (sig[1:] != sig[:-1]) | (cls[1:] != cls[:-1]) | (org[1:] != org[:-1])
        starts = np.flatnonzero(new_group)
        grp_ptr = np.append(starts, len(viewers)).astype(np.int64)
        grp_sig = sig[starts]
        grp_cls = cls[starts]
        grp_org = np.where(org[starts] >= 0, org[starts], -1) if len(starts) else org[:0]
        grp_cap = self._depth + np.maximum.reduceat(self._extra[viewers], starts)
        new_unit = np.ones(len(starts), dtype=bool)
        new_unit[1:] = grp_sig[1:] != grp_sig[:-1]
        unit_ptr = np.append(np.flatnonzero(new_unit), len(starts)).astype(np.int64)
        return (
            unit_ptr, grp_sig.astype(np.int64), grp_cls.astype(np.int64),
            grp_org.astype(np.int64), grp_cap.astype(np.int64), grp_ptr, viewers.astype(np.int64),
        )  # fmt: skip

    def _rank(
        self,
        groups: tuple[np.ndarray, ...],
        progress: Progress | None = None,
        avail: np.ndarray | None = None,
        out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        depth: int | None = None,
    ) -> None:
        """Run the candidate kernel over viewer groups, in chunks so progress can be shown."""
        unit_ptr, grp_sig, grp_cls, grp_org, grp_cap, grp_ptr, grp_members = groups
        n_units = len(unit_ptr) - 1
        if avail is None:
            avail = np.ones(len(self._ids), dtype=np.uint8)
        out_idx, out_score, out_cnt = out or (self._cand_idx, self._cand_score, self._cand_cnt)
        chunk = max(256, n_units // 50) if progress else max(n_units, 1)
        for start in range(0, n_units, chunk):
            stop = min(start + chunk, n_units)
            kernels.rank_tiled(
                unit_ptr[start : stop + 1], grp_sig, grp_cls, grp_org, grp_cap, grp_ptr,
                grp_members, *self._sig_arrays, *self._dense, self._mem_ptr, self._mem_person,
                self._cls_of, self._org_of, avail, self._decl_ptr, self._decl_idx, self._compat,
                self.settings.exclude_same_organization, SHARED_WEIGHT, MUTUAL_WEIGHT,
                depth or self._depth, out_idx, out_score, out_cnt, numba.get_num_threads(),
                TILE, BATCH,
            )  # fmt: skip
            if progress:
                progress(stop, n_units)
        if progress and n_units == 0:
            progress(0, 0)

    # -- exposure, reasons, result ---------------------------------------------------------

    def _finish(self, changed: set[int] | None) -> set[int]:
        """Cap exposure, attach reasons and publish `result_`; return ids whose list changed."""
        settings = self.settings
        n = len(self._ids)
        cap = settings.exposure_cap or max(len(self._ids), 1)
        depth = self._depth
        cnt = self._cand_cnt
        slots = np.flatnonzero(np.arange(depth)[None, :] < cnt[:, None])
        order = slots[np.lexsort((slots, -self._cand_score.ravel()[slots]))]
        accepted, exposure, count = kernels.allocate_exposure(
            order, self._cand_idx, cnt, settings.top_k, cap, n
        )
        accepted = accepted.reshape(n, depth).astype(bool)
        extra: dict[int, tuple[float, int]] = {}
        full: set[int] = set()
        for p in np.flatnonzero((count == 0) & (cnt > 0)).tolist():
            if not self._cover(p, accepted, extra, count, exposure, cap):
                full.add(p)

        # Final lists as arrays: accepted candidates keep their rank order.
        k = settings.top_k
        position = np.cumsum(accepted, axis=1) - 1
        rows, ranks = np.nonzero(accepted & (position < k))
        fin_idx = np.full((n, k), -1, dtype=np.int64)
        fin_score = np.zeros((n, k), dtype=np.float64)
        fin_idx[rows, position[rows, ranks]] = self._cand_idx[rows, ranks]
        fin_score[rows, position[rows, ranks]] = self._cand_score[rows, ranks]
        for p, (score, m) in extra.items():  # rescued attendees had nobody: slot 0 is free
            fin_idx[p, 0], fin_score[p, 0] = m, score
        ids = self._ids
        old = self._lists
        if changed is None or getattr(self, "_fin_ids", None) is None:
            dirty = np.ones(n, dtype=bool)
        else:
            subjects = np.array(sorted(changed), dtype=np.int64)
            old_rows = np.array([self._fin_row.get(int(pid), -1) for pid in ids])
            known = old_rows >= 0
            same = np.zeros(n, dtype=bool)
            same[known] = (
                self._fin_ids[old_rows[known]]
                == np.where(fin_idx[known] >= 0, ids[np.maximum(fin_idx[known], 0)], -1)
            ).all(axis=1) & (self._fin_score[old_rows[known]] == fin_score[known]).all(axis=1)
            dirty = ~same | np.isin(ids, subjects)
            dirty |= np.isin(np.where(fin_idx >= 0, ids[np.maximum(fin_idx, 0)], -1), subjects).any(
                axis=1
            )
        dirty[list(extra)] = True
        id_list = ids.tolist()
        lists: dict[int, list[Suggestion]] = {}
        for p in np.flatnonzero(~dirty).tolist():
            lists[id_list[p]] = old[id_list[p]]  # same partners, same profiles: same reasons
        rows = np.flatnonzero(dirty)
        filled = fin_idx[rows] >= 0
        counts = filled.sum(axis=1).tolist()
        viewers = np.repeat(rows, counts)
        partners = fin_idx[rows][filled]
        reasons = self._reasons(viewers, partners)
        suggestions = [
            Suggestion(id_list[m], score, why)
            for m, score, why in zip(
                partners.tolist(), fin_score[rows][filled].tolist(), reasons, strict=True
            )
        ]
        start = 0
        for p, count in zip(rows.tolist(), counts, strict=True):
            lists[id_list[p]] = suggestions[start : start + count]
            start += count
        del suggestions
        lists = {pid: lists[pid] for pid in id_list}
        self._lists = lists
        self._fin_ids = np.where(fin_idx >= 0, ids[np.maximum(fin_idx, 0)], -1)
        self._fin_score = fin_score
        self._fin_row = {pid: i for i, pid in enumerate(id_list)}

        unmatched = self._explain([p for p in range(n) if not lists[id_list[p]]], full)
        covered = sum(1 for s in lists.values() if s)
        self.result_ = MatchResult(
            suggestions=lists,
            coverage=covered / n if n else 1.0,
            max_exposure=int(exposure.max()) if n else 0,
            exposure_mean=float(exposure.mean()) if n else 0.0,
            exposure_stdev=float(exposure.std()) if n else 0.0,
            unmatched=unmatched,
        )
        self._exposure = exposure
        return {pid for pid in lists if old.get(pid) != lists[pid]}

    def _cover(
        self,
        p: int,
        accepted: np.ndarray,
        extra: dict[int, tuple[float, int]],
        count: np.ndarray,
        exposure: np.ndarray,
        cap: int,
    ) -> bool:
        """Give *p*, left without suggestions by the cap, one partner who still has room."""
        n = len(self._ids)
        out = (np.full((n, 1), -1, np.int64), np.zeros((n, 1)), np.zeros(n, np.int64))
        avail = (exposure < cap).astype(np.uint8)
        self._rank(self._viewer_groups(np.array([p])), avail=avail, out=out, depth=1)
        if out[2][p]:
            m = int(out[0][p, 0])
            extra[p] = (float(out[1][p, 0]), m)
            exposure[m] += 1
            count[p] += 1
            return True
        # Everyone compatible is at the cap: take a slot from someone who has more than one.
        for r in range(int(self._cand_cnt[p])):
            m = int(self._cand_idx[p, r])
            holders = accepted & (self._cand_idx == m) & (count > 1)[:, None]
            if holders.any():
                v, rank = min(
                    zip(*np.nonzero(holders), strict=True),
                    key=lambda vr: (self._cand_score[vr], -vr[0]),
                )
                accepted[v, rank] = False
                count[v] -= 1
                extra[p] = (float(self._cand_score[p, r]), m)
                count[p] += 1
                return True
        return False

    def _reasons(self, viewers: np.ndarray, partners: np.ndarray) -> list[tuple[Reason, ...]]:
        if len(viewers) == 0:
            return []
        if self._phrase_arrays is None:
            people = [self._people[int(pid)] for pid in self._ids]
            arrays = []
            for f in range(3):
                ptr, concepts = _csr([person.fields[f][0] for person in people])
                _, texts = _csr([person.fields[f][1] for person in people])
                arrays.extend([ptr, concepts, texts])
            self._phrase_arrays = arrays
        sim = self._sim
        texts = list(self._text_ids)
        cache = self._reason_cache
        out = []
        for start in range(0, len(viewers), 65536):  # in chunks: the raw table is wide
            stop = start + 65536
            raw = kernels.pair_reasons(
                viewers[start:stop], partners[start:stop], *self._phrase_arrays,
                sim.indptr, sim.indices, sim.data, REASONS_PER_DIRECTION,
            )  # fmt: skip
            for row in raw.reshape(len(raw), -1).tolist():
                reasons = []
                for i in range(0, len(row), 3):
                    code = row[i]
                    if code < 0:
                        break
                    key = (code, row[i + 1], row[i + 2])
                    reason = cache.get(key)
                    if reason is None:
                        reason = Reason(_DIRECTIONS[code], texts[key[1]], texts[key[2]])
                        cache[key] = reason
                    reasons.append(reason)
                out.append(tuple(reasons))
        return out

    def _explain(self, people: list[int], full: set[int]) -> dict[int, str]:
        unmatched: dict[int, str] = {}
        rest = []
        for p in people:
            pid = int(self._ids[p])
            if self._empty[p]:
                unmatched[pid] = "empty_profile"
            elif p in full:
                unmatched[pid] = "partners_full"
            else:
                rest.append(p)
        if rest:
            codes = kernels.explain_unmatched(
                np.array(rest, dtype=np.int64), self._role_of, self._cls_of, self._org_of,
                self._empty, self._decl_ptr, self._decl_idx, self._role_ok, self._avail_ok,
                self.settings.exclude_same_organization,
            )  # fmt: skip
            for p, code in zip(rest, codes.tolist(), strict=True):
                unmatched[int(self._ids[p])] = _UNMATCHED[code]
        return unmatched

    # -- incremental -----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "result_"):
            raise RuntimeError("call fit() first")

    def _apply(
        self, changed: dict[int, Profile], removed: set[int], touched: set[int] | None = None
    ) -> set[int]:
        """Apply edits, re-rank only the viewers whose candidate lists can change.

        A viewer's exact top list can only change if it held one of the edited attendees
        (their score or eligibility moved) or if an edited attendee now beats its last
        entry; every other pair keeps its score because phrase similarity depends on the two
        phrases only.
        """
        old_ids = self._ids
        subjects = set(changed) | set(removed) | set(touched or ())
        new_keys = [self._key(t) for p in changed.values() for t in self._phrases(p)]
        if any(k and k not in self.space_.index for k in new_keys):
            self.space_.add(new_keys)
            self._sim = self.space_.matrix()
        for pid in removed:
            del self._profiles[pid]
            del self._people[pid]
        for pid, profile in changed.items():
            self._profiles[pid] = profile
            self._people[pid] = self._person(profile)
        self._profiles = dict(sorted(self._profiles.items()))
        self._build()

        n, depth = len(self._ids), self._depth
        remap = np.array([self._index.get(int(pid), -1) for pid in old_ids], dtype=np.int64)
        cand_idx = np.full((n, depth), -1, dtype=np.int64)
        cand_score = np.zeros((n, depth), dtype=np.float64)
        cand_cnt = np.zeros(n, dtype=np.int64)
        keep = remap >= 0
        old_idx = self._cand_idx[keep]
        cand_idx[remap[keep]] = np.where(old_idx >= 0, remap[np.maximum(old_idx, 0)], -1)
        cand_score[remap[keep]] = self._cand_score[keep]
        cand_cnt[remap[keep]] = self._cand_cnt[keep]
        self._cand_idx, self._cand_score, self._cand_cnt = cand_idx, cand_score, cand_cnt

        present = [self._index[pid] for pid in subjects if pid in self._index]
        filled = np.arange(depth)[None, :] < cand_cnt[:, None]
        stale = (np.isin(cand_idx, present) | (cand_idx < 0)) & filled
        affected = set(present) | set(np.flatnonzero(stale.any(axis=1)).tolist())
        for p in present:
            affected.update(self._newly_reachable(p))
        if affected:
            viewers = np.array(sorted(affected), dtype=np.int64)
            cand_cnt[viewers] = 0
            cand_idx[viewers] = -1
            self._rank(self._viewer_groups(viewers))
        return self._finish(changed=subjects)

    def _newly_reachable(self, p: int) -> list[int]:
        """Viewers for whom attendee *p* now ranks within their candidate depth."""
        if self._empty[p]:
            return []
        by_sig = kernels.signature_scores(
            self._sig_of[p], *self._sig_arrays, SHARED_WEIGHT, MUTUAL_WEIGHT
        )
        sig = np.maximum(self._sig_of, 0)
        scores = np.where(self._empty, 0.0, by_sig[sig])
        eligible = (scores > 0) & (self._compat[self._cls_of[p], self._cls_of] != 0)
        eligible[p] = False
        if self.settings.exclude_same_organization and self._org_of[p] >= 0:
            eligible &= self._org_of != self._org_of[p]
        eligible[self._decl_idx[self._decl_ptr[p] : self._decl_ptr[p + 1]]] = False
        viewers = np.flatnonzero(eligible)
        scores = scores[viewers]
        depth = self._depth
        worst_score = self._cand_score[viewers, depth - 1]
        worst_idx = self._cand_idx[viewers, depth - 1]
        better = (
            (self._cand_cnt[viewers] < depth)
            | (scores > worst_score)
            | ((scores == worst_score) & (p < worst_idx))
        )
        return viewers[better].tolist()


def suggest_partners(
    profiles: Sequence[Profile],
    settings: MatchSettings | None = None,
    progress: Progress | None = None,
) -> MatchResult:
    """Suggest up to ``settings.top_k`` partners for every attendee, with reasons.

    Same input, same output: ties are broken by attendee id and nothing is random.
    """
    return Matcher(settings).fit(profiles, progress=progress).result_
