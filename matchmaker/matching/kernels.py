"""Compiled inner loops of matching (numba, compiled once and cached on disk).

Everything here works on flat integer arrays prepared by `matchmaker.matching.engine`:
*signatures* (distinct combinations of offer, need and interest concepts, so attendees who
wrote the same things are scored once), *postings* (concept -> signatures, an inverted index)
and *viewer groups* (attendees sharing a signature and a compatibility class).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .text import QUANTUM as _UNITS

QUANTUM = float(_UNITS)


@njit(cache=True, inline="always")
def _worse(s1: float, i1: int, s2: float, i2: int) -> bool:
    """Ranking order: higher score first, then lower attendee index (= lower id)."""
    return s1 < s2 or (s1 == s2 and i1 > i2)


@njit(cache=True, inline="always")
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
def pair_score(acc_need_b, inv_need_b, acc_need_a, inv_need_a, acc_int_b, inv_int_b, acc_int_a,
               inv_int_a, w_shared, w_mutual):  # fmt: skip
    """Score of a pair from integer overlap sums (see the package docstring).

    ``inv_*`` is ``1 / (QUANTUM * count)`` (0 for an empty field), so each mean is one
    product; both sides of a pair evaluate the same products, so the score is symmetric to
    the last bit.
    """
    h1 = acc_need_b * inv_need_b
    h2 = acc_need_a * inv_need_a
    g1 = acc_int_b * inv_int_b
    g2 = acc_int_a * inv_int_a
    hi = max(h1, h2)
    lo = min(h1, h2)
    helped = (1.0 - w_mutual) * hi + w_mutual * lo
    return (1.0 - w_shared) * helped + w_shared * (0.5 * (g1 + g2))


@njit(cache=True)
def _accumulate(b, need_ptr, need_idx, inv_need, offer_ptr, offer_idx, offer_val,
                int_ptr, int_idx, inv_int, zin_ptr, zin_idx, zin_val,
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
            acc1[a], inv_need[b], acc2[a], inv_need[a],
            acc3[a], inv_int[b], acc4[a], inv_int[a], w_shared, w_mutual,
        )  # fmt: skip
        acc1[a] = 0
        acc2[a] = 0
        acc3[a] = 0
        acc4[a] = 0
        seen[a] = 0
    return n_touched


@njit(cache=True)
def signature_scores(b, need_ptr, need_idx, inv_need, offer_ptr, offer_idx, offer_val,
                     int_ptr, int_idx, inv_int, zin_ptr, zin_idx, zin_val,
                     xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr,
                     ip_sig, w_shared, w_mutual):  # fmt: skip
    """Dense score of signature *b* with every signature (0 where nothing is shared)."""
    n_sig = inv_need.shape[0]
    acc = np.zeros((4, n_sig), np.int32)
    seen = np.zeros(n_sig, np.uint8)
    touched = np.empty(n_sig, np.int32)
    scores = np.empty(n_sig, np.float64)
    n_touched = _accumulate(
        b, need_ptr, need_idx, inv_need, offer_ptr, offer_idx, offer_val,
        int_ptr, int_idx, inv_int, zin_ptr, zin_idx, zin_val,
        xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr, ip_sig,
        acc[0], acc[1], acc[2], acc[3], seen, touched, scores, w_shared, w_mutual,
    )  # fmt: skip
    out = np.zeros(n_sig, np.float64)
    for k in range(n_touched):
        out[touched[k]] = scores[k]
    return out


@njit(cache=True)
def _dense_add(acc, source, weight, length):
    """``acc += weight * source``; called with contiguous slices so that LLVM vectorises it."""
    if weight == 1:
        for a in range(length):
            acc[a] += source[a]
    else:
        for a in range(length):
            acc[a] += weight * source[a]


@njit(cache=True)
def _rough_scores(rough, acc1, acc2, acc3, acc4, inv_b_need, inv_need, inv_b_int, inv_int,
                  c_hi, c_lo, c_sh, length, limit, survivors):  # fmt: skip
    """float32 scores of one tile (slices); collect the positions scoring above *limit*.

    The collection is branch-free (always store, conditionally advance) because whether a
    candidate has any overlap is close to a coin flip and a branch would mispredict.
    """
    for a in range(length):
        h1 = np.float32(acc1[a]) * inv_b_need
        h2 = np.float32(acc2[a]) * inv_need[a]
        g_1 = np.float32(acc3[a]) * inv_b_int
        g_2 = np.float32(acc4[a]) * inv_int[a]
        rough[a] = c_hi * max(h1, h2) + c_lo * min(h1, h2) + c_sh * (g_1 + g_2)
    n = 0
    lim = np.float32(limit)
    for a in range(length):
        survivors[n] = a
        n += rough[a] > lim
    return n


@njit(cache=True)
def _tail_add(acc, cursor, end, post_sig, post_val, weight, t0, t1):
    """Add one sparse posting list's entries that fall in the tile [t0, t1)."""
    k = cursor
    while k < end and post_sig[k] < t1:
        if post_val.shape[0] > 0:
            acc[post_sig[k] - t0] += weight * post_val[k]
        else:
            acc[post_sig[k] - t0] += weight
        k += 1
    return k


@njit(cache=True)
def _unit_terms(b, need_ptr, need_idx, offer_ptr, offer_idx, offer_val, int_ptr, int_idx,
                zin_ptr, zin_idx, zin_val, xp_ptr, np_ptr, zp_ptr, ip_ptr, need_row, int_row,
                kind, row, weight, cursor, stop, n):  # fmt: skip
    """Append the terms of viewer signature *b* at position *n*; return the new length.

    Kinds 0..3: their offers for my needs, my offers for their needs, their interests for
    mine, mine for theirs. A term is a dense row (``row >= 0``) or a posting range.
    """
    for j in range(need_ptr[b], need_ptr[b + 1]):
        c = need_idx[j]
        kind[n], row[n], weight[n], cursor[n], stop[n] = 0, need_row[c], 1, xp_ptr[c], xp_ptr[c + 1]
        n += 1
    for j in range(offer_ptr[b], offer_ptr[b + 1]):
        c = offer_idx[j]
        kind[n], row[n], weight[n] = 1, need_row[c], offer_val[j]
        cursor[n], stop[n] = np_ptr[c], np_ptr[c + 1]
        n += 1
    for j in range(int_ptr[b], int_ptr[b + 1]):
        c = int_idx[j]
        kind[n], row[n], weight[n], cursor[n], stop[n] = 2, int_row[c], 1, zp_ptr[c], zp_ptr[c + 1]
        n += 1
    for j in range(zin_ptr[b], zin_ptr[b + 1]):
        c = zin_idx[j]
        kind[n], row[n], weight[n] = 3, int_row[c], zin_val[j]
        cursor[n], stop[n] = ip_ptr[c], ip_ptr[c + 1]
        n += 1
    return n


@njit(cache=True)
def _tile_sums(acc1, acc2, acc3, acc4, j0, j1, kind, row, weight, cursor, stop, x_dense,
               n_dense, z_dense, i_dense, xp_sig, xp_val, np_sig, zp_sig, zp_val, ip_sig, t0,
               t1):  # fmt: skip
    """The four integer overlap sums of one viewer over candidate signatures [t0, t1)."""
    length = t1 - t0
    no_values = np.empty(0, np.int32)
    acc1[:length] = 0
    acc2[:length] = 0
    acc3[:length] = 0
    acc4[:length] = 0
    for j in range(j0, j1):
        k = kind[j]
        r = row[j]
        if r >= 0:
            if k == 0:
                _dense_add(acc1, x_dense[r, t0:t1], weight[j], length)
            elif k == 1:
                _dense_add(acc2, n_dense[r, t0:t1], weight[j], length)
            elif k == 2:
                _dense_add(acc3, z_dense[r, t0:t1], weight[j], length)
            else:
                _dense_add(acc4, i_dense[r, t0:t1], weight[j], length)
        elif k == 0:
            cursor[j] = _tail_add(acc1, cursor[j], stop[j], xp_sig, xp_val, weight[j], t0, t1)
        elif k == 1:
            cursor[j] = _tail_add(acc2, cursor[j], stop[j], np_sig, no_values, weight[j], t0, t1)
        elif k == 2:
            cursor[j] = _tail_add(acc3, cursor[j], stop[j], zp_sig, zp_val, weight[j], t0, t1)
        else:
            cursor[j] = _tail_add(acc4, cursor[j], stop[j], ip_sig, no_values, weight[j], t0, t1)


@njit(parallel=True, cache=True)
def rank_tiled(
    unit_ptr, grp_sig, grp_cls, grp_org, grp_cap, grp_ptr, grp_members,
    need_ptr, need_idx, inv_need64, offer_ptr, offer_idx, offer_val,
    int_ptr, int_idx, inv_int64, zin_ptr, zin_idx, zin_val,
    xp_ptr, xp_sig, xp_val, np_ptr, np_sig, zp_ptr, zp_sig, zp_val, ip_ptr, ip_sig,
    need_row, int_row, x_dense, n_dense, z_dense, i_dense, inv_need, inv_int,
    mem_ptr, mem_person, person_cls, person_org, avail, decl_ptr, decl_idx, compat,
    exclude_org, w_shared, w_mutual, depth, out_idx, out_score, out_cnt, n_threads, tile,
    batch,
):  # fmt: skip
    """Exact top-`depth` partners for every attendee of the given viewer groups.

    Work unit ``u`` is the range ``unit_ptr[u]:unit_ptr[u + 1]`` of viewer groups sharing
    one signature. Candidate signatures are swept in tiles; for each tile, every unit of a
    batch builds its four integer overlap sums from dense byte rows of the frequent concepts
    (vectorised adds, the tile's rows stay in cache across the batch) and from the posting
    lists of rare ones. A float32 score skips candidates below the group's heap floor;
    survivors are rescored exactly in float64 from the integer sums and pushed into a
    bounded heap per viewer group, whose spare room covers attendees dropped one viewer at a
    time (the viewer itself, declined partners).
    """
    n_sig = inv_need64.shape[0]
    n_units = unit_ptr.shape[0] - 1
    n_batches = (n_units + batch - 1) // batch
    c_hi = np.float32((1.0 - w_shared) * (1.0 - w_mutual))
    c_lo = np.float32((1.0 - w_shared) * w_mutual)
    c_sh = np.float32(0.5 * w_shared)
    for t in prange(n_threads):
        acc1 = np.zeros(tile, np.int32)
        acc2 = np.zeros(tile, np.int32)
        acc3 = np.zeros(tile, np.int32)
        acc4 = np.zeros(tile, np.int32)
        rough = np.zeros(tile, np.float32)
        survivors = np.zeros(tile, np.int64)
        for bt in range(t, n_batches, n_threads):
            u0 = bt * batch
            u1 = min(u0 + batch, n_units)
            g_first = unit_ptr[u0]
            g_last = unit_ptr[u1]
            # Terms of every unit in the batch, and one heap per viewer group.
            total = 0
            for u in range(u0, u1):
                b = grp_sig[unit_ptr[u]]
                total += need_ptr[b + 1] - need_ptr[b] + offer_ptr[b + 1] - offer_ptr[b]
                total += int_ptr[b + 1] - int_ptr[b] + zin_ptr[b + 1] - zin_ptr[b]
            kind = np.empty(total, np.int64)
            row = np.empty(total, np.int64)
            weight = np.empty(total, np.int64)
            cursor = np.empty(total, np.int64)
            stop = np.empty(total, np.int64)
            term_ptr = np.zeros(u1 - u0 + 1, np.int64)
            for u in range(u0, u1):
                term_ptr[u - u0 + 1] = _unit_terms(
                    grp_sig[unit_ptr[u]], need_ptr, need_idx, offer_ptr, offer_idx, offer_val,
                    int_ptr, int_idx, zin_ptr, zin_idx, zin_val, xp_ptr, np_ptr, zp_ptr, ip_ptr,
                    need_row, int_row, kind, row, weight, cursor, stop, term_ptr[u - u0],
                )  # fmt: skip
            heap_ptr = np.zeros(g_last - g_first + 1, np.int64)
            for g in range(g_first, g_last):
                heap_ptr[g - g_first + 1] = heap_ptr[g - g_first] + grp_cap[g]
            hs = np.empty(heap_ptr[-1], np.float64)
            hi = np.empty(heap_ptr[-1], np.int64)
            fill = np.zeros(g_last - g_first, np.int64)
            for t0 in range(0, n_sig, tile):
                t1 = min(t0 + tile, n_sig)
                length = t1 - t0
                for u in range(u0, u1):
                    b = grp_sig[unit_ptr[u]]
                    _tile_sums(
                        acc1,
                        acc2,
                        acc3,
                        acc4,
                        term_ptr[u - u0],
                        term_ptr[u - u0 + 1],
                        kind,
                        row,
                        weight,
                        cursor,
                        stop,
                        x_dense,
                        n_dense,
                        z_dense,
                        i_dense,
                        xp_sig,
                        xp_val,
                        np_sig,
                        zp_sig,
                        zp_val,
                        ip_sig,
                        t0,
                        t1,
                    )
                    g0 = unit_ptr[u]
                    g1 = unit_ptr[u + 1]
                    threshold = _threshold(hs, heap_ptr, fill, grp_cap, g0, g1, g_first)
                    n_survivors = _rough_scores(
                        rough, acc1, acc2, acc3, acc4, inv_need[b], inv_need[t0:t1], inv_int[b],
                        inv_int[t0:t1], c_hi, c_lo, c_sh, length, max(threshold, 0.0), survivors,
                    )  # fmt: skip
                    for s_i in range(n_survivors):
                        a = survivors[s_i]
                        if rough[a] < threshold:
                            continue
                        sig = t0 + a
                        score = pair_score(
                            acc1[a], inv_need64[b], acc2[a], inv_need64[sig],
                            acc3[a], inv_int64[b], acc4[a], inv_int64[sig], w_shared, w_mutual,
                        )  # fmt: skip
                        if score <= 0.0:
                            continue
                        for g in range(g0, g1):
                            q = g - g_first
                            h0 = heap_ptr[q]
                            cap = grp_cap[g]
                            if fill[q] == cap and (
                                score < hs[h0]
                                or (score == hs[h0] and mem_person[mem_ptr[sig]] > hi[h0])
                            ):
                                continue  # members are sorted, so all of them rank lower
                            cls = grp_cls[g]
                            org = grp_org[g]
                            for mm in range(mem_ptr[sig], mem_ptr[sig + 1]):
                                m = mem_person[mm]
                                if avail[m] == 0 or compat[cls, person_cls[m]] == 0:
                                    continue
                                if exclude_org and org >= 0 and person_org[m] == org:
                                    continue
                                fill[q] = _heap_push(hs[h0 : h0 + cap], hi[h0 : h0 + cap],
                                                     fill[q], cap, score, m)  # fmt: skip
                        threshold = _threshold(hs, heap_ptr, fill, grp_cap, g0, g1, g_first)
            for g in range(g_first, g_last):
                q = g - g_first
                h0 = heap_ptr[q]
                h1 = heap_ptr[q + 1]
                _write_group(hs[h0:h1], hi[h0:h1], fill[q], grp_ptr[g], grp_ptr[g + 1],
                             grp_members, decl_ptr, decl_idx, depth, out_idx, out_score,
                             out_cnt)  # fmt: skip


@njit(cache=True, inline="always")
def _threshold(hs, heap_ptr, fill, grp_cap, g0, g1, g_first):
    """Lowest heap floor over the groups minus a margin covering float32 rounding; 0 = open."""
    low = np.inf
    for g in range(g0, g1):
        q = g - g_first
        floor = hs[heap_ptr[q]] if fill[q] == grp_cap[g] else 0.0
        low = min(low, floor)
    return low - 1e-5


@njit(cache=True)
def _write_group(hs, hi, n, p0, p1, members, decl_ptr, decl_idx, depth, out_idx, out_score,
                 out_cnt):  # fmt: skip
    """Each member's list: the group's heap minus itself and its declined partners."""
    _heap_sort_best_first(hs, hi, n)
    for pp in range(p0, p1):
        p = members[pp]
        count = 0
        for r in range(n):
            if count == depth:
                break
            m = hi[r]
            if m == p or _declined(decl_ptr, decl_idx, p, m):
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
def pair_reasons(viewers, partners, off_ptr, off_c, off_t, need_ptr, need_c, need_t, int_ptr,
                 int_c, int_t, sim_ptr, sim_idx, sim_val, limit):  # fmt: skip
    """Reasons of each (viewer, partner) pair as (direction, viewer text, partner text).

    Directions: 0 = they help (their offer, your need), 1 = you help, 2 = shared interest;
    texts are ids into the table of phrases as the attendees wrote them; -1 pads.
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
        for c in range(col):
            code = out[row, c, 0]
            if code == 0:
                out[row, c, 1] = need_t[need_ptr[p] + out[row, c, 1]]
                out[row, c, 2] = off_t[off_ptr[m] + out[row, c, 2]]
            elif code == 1:
                out[row, c, 1] = off_t[off_ptr[p] + out[row, c, 1]]
                out[row, c, 2] = need_t[need_ptr[m] + out[row, c, 2]]
            else:
                out[row, c, 1] = int_t[int_ptr[p] + out[row, c, 1]]
                out[row, c, 2] = int_t[int_ptr[m] + out[row, c, 2]]
    return out
