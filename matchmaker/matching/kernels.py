"""Compiled inner loops of matching (numba, compiled once and cached on disk).

Everything here works on flat integer arrays prepared by `matchmaker.matching.engine`:
*signatures* (distinct combinations of offer, need and interest concepts, so attendees who
wrote the same things are scored once), *postings* (concept -> signatures, an inverted index)
and *viewer groups* (attendees sharing a signature and a compatibility class).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

QUANTUM = 256.0


@njit(cache=True, inline="always")
def _worse(s1: float, i1: int, s2: float, i2: int) -> bool:
    """Ranking order: higher score first, then lower attendee index (= lower id)."""
    return s1 < s2 or (s1 == s2 and i1 > i2)


@njit(cache=True)
def _heap_push(hs, hi, n, cap, s, i):
    """Keep the `cap` best (score, index) pairs in a min-heap whose root is the worst."""
    if n < cap:
        j = n
        hs[j] = s
        hi[j] = i
        while j > 0:
            parent = (j - 1) // 2
            if _worse(hs[j], hi[j], hs[parent], hi[parent]):
                hs[j], hs[parent] = hs[parent], hs[j]
                hi[j], hi[parent] = hi[parent], hi[j]
                j = parent
            else:
                break
        return n + 1
    if not _worse(hs[0], hi[0], s, i):
        return n
    hs[0] = s
    hi[0] = i
    _sift_down(hs, hi, 0, n)
    return n


@njit(cache=True)
def _sift_down(hs, hi, j, n):
    while True:
        left = 2 * j + 1
        if left >= n:
            return
        child = left
        right = left + 1
        if right < n and _worse(hs[right], hi[right], hs[left], hi[left]):
            child = right
        if _worse(hs[child], hi[child], hs[j], hi[j]):
            hs[j], hs[child] = hs[child], hs[j]
            hi[j], hi[child] = hi[child], hi[j]
            j = child
        else:
            return


@njit(cache=True)
def _heap_sort_best_first(hs, hi, n):
    """Sort the heap in place, best pair first (the worst is moved to the end each step)."""
    end = n
    while end > 1:
        end -= 1
        hs[0], hs[end] = hs[end], hs[0]
        hi[0], hi[end] = hi[end], hi[0]
        _sift_down(hs, hi, 0, end)


@njit(cache=True, inline="always")
def pair_score(acc_need_b, n_need_b, acc_need_a, n_need_a, acc_int_b, n_int_b, acc_int_a,
               n_int_a, w_shared, w_mutual):  # fmt: skip
    """Score of a pair from integer overlap sums (see the package docstring)."""
    h1 = acc_need_b / (QUANTUM * n_need_b) if n_need_b > 0 else 0.0
    h2 = acc_need_a / (QUANTUM * n_need_a) if n_need_a > 0 else 0.0
    g1 = acc_int_b / (QUANTUM * n_int_b) if n_int_b > 0 else 0.0
    g2 = acc_int_a / (QUANTUM * n_int_a) if n_int_a > 0 else 0.0
    hi = max(h1, h2)
    lo = min(h1, h2)
    helped = (1.0 - w_mutual) * hi + w_mutual * lo
    return (1.0 - w_shared) * helped + w_shared * (0.5 * (g1 + g2))


@njit(cache=True)
def _accumulate(b, need_ptr, need_idx, n_need, offer_ptr, offer_idx, offer_val,
                int_ptr, int_idx, n_int, zin_ptr, zin_idx, zin_val,
                xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr, ip_sig,
                acc1, acc2, acc3, acc4, seen, touched, scores, w_shared, w_mutual):  # fmt: skip
    """Score signature *b* against every signature sharing a concept with it.

    Fills ``touched[:n]`` and ``scores[:n]`` and returns n; the scratch arrays are left
    zeroed for the next call.
    """
    n_touched = 0
    # their offers -> my needs
    for j in range(need_ptr[b], need_ptr[b + 1]):
        q = need_idx[j]
        for k in range(xp_ptr[q], xp_ptr[q + 1]):
            a = xp_sig[k]
            acc1[a] += xp_val[k]
            if seen[a] == 0:
                seen[a] = 1
                touched[n_touched] = a
                n_touched += 1
    # my offers -> their needs
    for j in range(offer_ptr[b], offer_ptr[b + 1]):
        c = offer_idx[j]
        v = offer_val[j]
        for k in range(np_ptr[c], np_ptr[c + 1]):
            a = np_sig[k]
            acc2[a] += v
            if seen[a] == 0:
                seen[a] = 1
                touched[n_touched] = a
                n_touched += 1
    # their interests -> mine, and mine -> theirs
    for j in range(int_ptr[b], int_ptr[b + 1]):
        i = int_idx[j]
        for k in range(zp_ptr[i], zp_ptr[i + 1]):
            a = zp_sig[k]
            acc3[a] += zp_val[k]
            if seen[a] == 0:
                seen[a] = 1
                touched[n_touched] = a
                n_touched += 1
    for j in range(zin_ptr[b], zin_ptr[b + 1]):
        i = zin_idx[j]
        v = zin_val[j]
        for k in range(ip_ptr[i], ip_ptr[i + 1]):
            a = ip_sig[k]
            acc4[a] += v
            if seen[a] == 0:
                seen[a] = 1
                touched[n_touched] = a
                n_touched += 1
    for k in range(n_touched):
        a = touched[k]
        scores[k] = pair_score(
            acc1[a], n_need[b], acc2[a], n_need[a],
            acc3[a], n_int[b], acc4[a], n_int[a], w_shared, w_mutual,
        )  # fmt: skip
        acc1[a] = 0
        acc2[a] = 0
        acc3[a] = 0
        acc4[a] = 0
        seen[a] = 0
    return n_touched


@njit(cache=True)
def signature_scores(b, need_ptr, need_idx, n_need, offer_ptr, offer_idx, offer_val,
                     int_ptr, int_idx, n_int, zin_ptr, zin_idx, zin_val,
                     xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr,
                     ip_sig, w_shared, w_mutual):  # fmt: skip
    """Dense score of signature *b* with every signature (0 where nothing is shared)."""
    n_sig = n_need.shape[0]
    acc = np.zeros((4, n_sig), np.int32)
    seen = np.zeros(n_sig, np.uint8)
    touched = np.empty(n_sig, np.int32)
    scores = np.empty(n_sig, np.float64)
    n_touched = _accumulate(
        b, need_ptr, need_idx, n_need, offer_ptr, offer_idx, offer_val,
        int_ptr, int_idx, n_int, zin_ptr, zin_idx, zin_val,
        xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr, ip_sig,
        acc[0], acc[1], acc[2], acc[3], seen, touched, scores, w_shared, w_mutual,
    )  # fmt: skip
    out = np.zeros(n_sig, np.float64)
    for k in range(n_touched):
        out[touched[k]] = scores[k]
    return out


@njit(parallel=True, cache=True)
def rank_candidates(
    unit_ptr, grp_sig, grp_cls, grp_cap, grp_ptr, grp_members,
    need_ptr, need_idx, n_need, offer_ptr, offer_idx, offer_val,
    int_ptr, int_idx, n_int, zin_ptr, zin_idx, zin_val,
    xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr, ip_sig,
    mem_ptr, mem_person, person_cls, person_org, avail, decl_ptr, decl_idx, compat,
    exclude_org, w_shared, w_mutual, depth, out_idx, out_score, out_cnt, n_threads,
):  # fmt: skip
    """Exact top-`depth` partners for every attendee of the given viewer groups.

    Work unit ``u`` is the range ``unit_ptr[u]:unit_ptr[u + 1]`` of viewer groups that share
    one signature, so the four overlap sums are accumulated once per signature through the
    postings, then each group keeps its best compatible candidates in a bounded heap whose
    size leaves room for the attendees excluded one by one (self, colleagues, declined).
    """
    n_sig = n_need.shape[0]
    n_units = unit_ptr.shape[0] - 1
    max_cap = 1
    for g in range(grp_cap.shape[0]):
        max_cap = max(max_cap, grp_cap[g])
    for t in prange(n_threads):
        acc = np.zeros((4, n_sig), np.int32)
        seen = np.zeros(n_sig, np.uint8)
        touched = np.empty(n_sig, np.int32)
        scores = np.empty(n_sig, np.float64)
        hs = np.empty(max_cap, np.float64)
        hi = np.empty(max_cap, np.int64)
        for u in range(t, n_units, n_threads):
            g0 = unit_ptr[u]
            g1 = unit_ptr[u + 1]
            n_touched = _accumulate(
                grp_sig[g0], need_ptr, need_idx, n_need, offer_ptr, offer_idx, offer_val,
                int_ptr, int_idx, n_int, zin_ptr, zin_idx, zin_val,
                xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr, ip_sig,
                acc[0], acc[1], acc[2], acc[3], seen, touched, scores, w_shared, w_mutual,
            )  # fmt: skip
            for g in range(g0, g1):
                cls = grp_cls[g]
                cap = grp_cap[g]
                n = 0
                for k in range(n_touched):
                    s = scores[k]
                    if s <= 0.0 or (n == cap and s < hs[0]):
                        continue
                    a = touched[k]
                    for mm in range(mem_ptr[a], mem_ptr[a + 1]):
                        m = mem_person[mm]
                        if avail[m] != 0 and compat[cls, person_cls[m]] != 0:
                            n = _heap_push(hs, hi, n, cap, s, m)
                _heap_sort_best_first(hs, hi, n)
                for pp in range(grp_ptr[g], grp_ptr[g + 1]):
                    p = grp_members[pp]
                    count = 0
                    for r in range(n):
                        if count == depth:
                            break
                        m = hi[r]
                        if m == p:
                            continue
                        if exclude_org and person_org[p] >= 0 and person_org[m] == person_org[p]:
                            continue
                        if _declined(decl_ptr, decl_idx, p, m):
                            continue
                        out_idx[p, count] = m
                        out_score[p, count] = hs[r]
                        count += 1
                    out_cnt[p] = count


@njit(cache=True, inline="always")
def _declined(decl_ptr, decl_idx, p, m):
    d0 = decl_ptr[p]
    d1 = decl_ptr[p + 1]
    if d1 == d0:
        return False
    pos = d0 + np.searchsorted(decl_idx[d0:d1], m)
    return pos < d1 and decl_idx[pos] == m


@njit(cache=True)
def soft_rows(row_ptr, row_idx, sim_ptr, sim_idx, sim_val, keep, n_concepts):
    """Per row, the best similarity of any of its concepts to every kept concept.

    Row ``r`` holds concepts ``row_idx[row_ptr[r]:row_ptr[r + 1]]``; the result row maps
    each concept ``c`` with ``keep[c]`` to ``max`` over those concepts of ``sim(., c)``.
    """
    n_rows = row_ptr.shape[0] - 1
    best = np.zeros(n_concepts, np.int32)
    touched = np.empty(n_concepts, np.int32)
    lengths = np.zeros(n_rows, np.int64)
    out_idx = np.empty(0, np.int32)
    out_val = np.empty(0, np.int32)
    for step in range(2):
        pos = 0
        for r in range(n_rows):
            n_touched = 0
            for j in range(row_ptr[r], row_ptr[r + 1]):
                c0 = row_idx[j]
                for k in range(sim_ptr[c0], sim_ptr[c0 + 1]):
                    c = sim_idx[k]
                    if keep[c] == 0:
                        continue
                    if best[c] == 0:
                        touched[n_touched] = c
                        n_touched += 1
                    if sim_val[k] > best[c]:
                        best[c] = sim_val[k]
            if step == 0:
                lengths[r] = n_touched
            else:
                order = np.sort(touched[:n_touched])
                for c in order:
                    out_idx[pos] = c
                    out_val[pos] = best[c]
                    pos += 1
            for j in range(n_touched):
                best[touched[j]] = 0
        if step == 0:
            total = 0
            for r in range(n_rows):
                total += lengths[r]
            out_idx = np.empty(total, np.int32)
            out_val = np.empty(total, np.int32)
    out_ptr = np.zeros(n_rows + 1, np.int64)
    for r in range(n_rows):
        out_ptr[r + 1] = out_ptr[r] + lengths[r]
    return out_ptr, out_idx, out_val


@njit(cache=True)
def allocate_exposure(order, cand_idx, cand_cnt, top_k, cap, n_people):
    """Greedy by score under the exposure cap, first one suggestion each, then the rest.

    ``order`` lists candidate slots ``p * depth + r`` best first. Returns the accepted flag of
    every slot and each attendee's exposure.
    """
    depth = cand_idx.shape[1]
    accepted = np.zeros(n_people * depth, np.uint8)
    exposure = np.zeros(n_people, np.int64)
    count = np.zeros(n_people, np.int64)
    for limit in (1, top_k):
        for e in order:
            p = e // depth
            r = e % depth
            if accepted[e] or count[p] >= limit or r >= cand_cnt[p]:
                continue
            m = cand_idx[p, r]
            if exposure[m] < cap:
                accepted[e] = 1
                exposure[m] += 1
                count[p] += 1
    return accepted, exposure, count


@njit(cache=True)
def explain_unmatched(people, person_role, person_cls, person_org, empty, decl_ptr, decl_idx,
                      role_ok, avail_ok, exclude_org):  # fmt: skip
    """0 = nobody allowed by the rules, 1 = allowed but not available, 2 = available."""
    n = person_role.shape[0]
    out = np.zeros(people.shape[0], np.int8)
    for t in range(people.shape[0]):
        p = people[t]
        best = 0
        for m in range(n):
            if m == p or empty[m]:
                continue
            if not role_ok[person_role[p], person_role[m]]:
                continue
            if exclude_org and person_org[p] >= 0 and person_org[m] == person_org[p]:
                continue
            if _declined(decl_ptr, decl_idx, p, m):
                continue
            if avail_ok[person_cls[p], person_cls[m]]:
                best = 2
                break
            best = 1
        out[t] = best
    return out


@njit(cache=True)
def _best_matches(sim_ptr, sim_idx, sim_val, mine_c, theirs_c, flip, limit, out, row, col,
                  code):  # fmt: skip
    """Append up to `limit` (code, mine pos, theirs pos) triples, strongest first.

    For each concept on the "needing" side the best concept on the other side is taken; with
    ``flip`` the needing side is ``mine_c`` instead of ``theirs_c``.
    """
    needing = mine_c if flip else theirs_c
    offering = theirs_c if flip else mine_c
    n = needing.shape[0]
    best_val = np.zeros(n, np.int64)
    best_pos = np.full(n, -1, np.int64)
    for t in range(n):
        q = needing[t]
        for j in range(offering.shape[0]):
            c = offering[j]
            lo = sim_ptr[c]
            hi = sim_ptr[c + 1]
            pos = lo + np.searchsorted(sim_idx[lo:hi], q)
            if pos < hi and sim_idx[pos] == q and sim_val[pos] > best_val[t]:
                best_val[t] = sim_val[pos]
                best_pos[t] = j
    for _ in range(limit):
        pick = -1
        for t in range(n):
            if best_pos[t] >= 0 and (pick < 0 or best_val[t] > best_val[pick]):
                pick = t
        if pick < 0:
            break
        out[row, col, 0] = code
        if flip:
            out[row, col, 1] = pick
            out[row, col, 2] = best_pos[pick]
        else:
            out[row, col, 1] = best_pos[pick]
            out[row, col, 2] = pick
        best_pos[pick] = -1
        col += 1
    return col


@njit(cache=True)
def pair_reasons(viewers, partners, off_ptr, off_c, need_ptr, need_c, int_ptr, int_c,
                 sim_ptr, sim_idx, sim_val, limit):  # fmt: skip
    """Reasons of each (viewer, partner) pair as (direction, viewer phrase, partner phrase).

    Directions: 0 = they help (their offer, your need), 1 = you help, 2 = shared interest.
    Phrase positions index the attendee's own list for that field.
    """
    out = np.full((viewers.shape[0], 3 * limit, 3), -1, np.int64)
    for row in range(viewers.shape[0]):
        p = viewers[row]
        m = partners[row]
        col = 0
        col = _best_matches(
            sim_ptr,
            sim_idx,
            sim_val,
            need_c[need_ptr[p] : need_ptr[p + 1]],
            off_c[off_ptr[m] : off_ptr[m + 1]],
            True,
            limit,
            out,
            row,
            col,
            0,
        )
        col = _best_matches(sim_ptr, sim_idx, sim_val, off_c[off_ptr[p] : off_ptr[p + 1]],
                            need_c[need_ptr[m] : need_ptr[m + 1]], False, limit, out, row, col,
                            1)  # fmt: skip
        col = _best_matches(
            sim_ptr,
            sim_idx,
            sim_val,
            int_c[int_ptr[p] : int_ptr[p + 1]],
            int_c[int_ptr[m] : int_ptr[m + 1]],
            True,
            limit,
            out,
            row,
            col,
            2,
        )
    return out
