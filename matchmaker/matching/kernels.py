"""Numba kernels behind `engine`: sparse score accumulation, top-k, exposure, explanations.

Everything here works on plain arrays built by `engine.Matcher`; attendees are row indices
sorted by id, so "lower index" means "lower id" and ties are broken the same way everywhere.

A viewer's candidates are scored through inverted indexes (term -> people holding it): the
viewer's needs walk the offer postings (how much each candidate can help the viewer), the
viewer's offers walk the need postings (how much the viewer can help each candidate) and
interests walk the interest postings. Terms that many people hold are stored as dense rows
and added in one contiguous sweep, which costs less than scattering a long posting list.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: Candidates with some help (either direction) rank above those who only share interests.
HELP_TIER = 2.0


@njit(cache=True, inline="always")
def _allowed(v, a, cls_of, org_of, compat, exclude_org, decl_ptr, decl_idx):
    if a == v or not compat[cls_of[v], cls_of[a]]:
        return False
    if exclude_org and org_of[v] >= 0 and org_of[v] == org_of[a]:
        return False
    for e in range(decl_ptr[v], decl_ptr[v + 1]):
        if decl_idx[e] == a:
            return False
    return True


@njit(cache=True, inline="always")
def _insert(keys, idx, count, depth, key, a):
    """Keep the best `depth` (key, index) pairs sorted best first; ties by lower index."""
    if count == depth:
        last = depth - 1
        if key < keys[last] or (key == keys[last] and a > idx[last]):
            return count
        pos = last
    else:
        pos = count
        count += 1
    while pos > 0 and (keys[pos - 1] < key or (keys[pos - 1] == key and idx[pos - 1] > a)):
        keys[pos] = keys[pos - 1]
        idx[pos] = idx[pos - 1]
        pos -= 1
    keys[pos] = key
    idx[pos] = a
    return count


@njit(cache=True, inline="always")
def _add_terms(terms_ptr, terms_col, terms_val, v, post_ptr, post_person, post_val, dense_row,
               dense, weight, acc):  # fmt: skip
    """``acc[a] += weight * value(v, t) * value(a, t)`` for every term t of v.

    Terms held by many people have a dense row (one value per person), added as one
    contiguous sweep; the others are scattered through their posting lists.
    """
    n = acc.shape[0]
    for e in range(terms_ptr[v], terms_ptr[v + 1]):
        t = terms_col[e]
        w = weight * terms_val[e]
        row = dense_row[t]
        if row >= 0:
            source = dense[row]
            for a in range(n):
                acc[a] += w * source[a]
        else:
            for f in range(post_ptr[t], post_ptr[t + 1]):
                acc[post_person[f]] += w * post_val[f]


@njit(cache=True, parallel=True)
def rank(viewers, n_people, need_ptr, need_col, need_val, offer_ptr, offer_col, offer_val,
         int_ptr, int_col, int_val, op_ptr, op_person, op_val, np_ptr, np_person, np_val,
         ip_ptr, ip_person, ip_val, reciprocity, shared_weight, prior, cls_of, org_of, compat,
         exclude_org, decl_ptr, decl_idx, offer_row, offer_dense, need_row, need_dense,
         int_row, int_dense, depth, out_idx, out_key, out_cnt, n_chunks):  # fmt: skip
    """Exact top-`depth` candidates of every viewer, written to row v of the outputs.

    The ranking key is ``score`` for pairs that only share interests and
    ``HELP_TIER + score`` for pairs where someone can help, with
    ``score = prior[a] * (help(a->v) + reciprocity * help(v->a) + shared) / norm``.
    Each thread keeps dense accumulators the size of the event: the viewer's needs walk
    the offer postings, its offers the need postings, its interests the interest postings.
    """
    scale = prior / (1.0 + reciprocity + shared_weight)
    n_viewers = viewers.shape[0]
    for c in prange(n_chunks):
        help_acc = np.zeros(n_people, np.float32)
        int_acc = np.zeros(n_people, np.float32)
        key_buf = np.empty(n_people, np.float64)
        keys = np.empty(depth, np.float64)
        idx = np.empty(depth, np.int64)
        for t in range(c, n_viewers, n_chunks):
            v = viewers[t]
            help_acc[:] = 0.0
            _add_terms(need_ptr, need_col, need_val, v, op_ptr, op_person, op_val, offer_row,
                       offer_dense, 1.0, help_acc)  # fmt: skip
            if reciprocity > 0.0:
                _add_terms(offer_ptr, offer_col, offer_val, v, np_ptr, np_person, np_val,
                           need_row, need_dense, reciprocity, help_acc)  # fmt: skip
            has_int = shared_weight > 0.0 and int_ptr[v + 1] > int_ptr[v]
            if has_int:
                int_acc[:] = 0.0
                _add_terms(int_ptr, int_col, int_val, v, ip_ptr, ip_person, ip_val, int_row,
                           int_dense, shared_weight, int_acc)  # fmt: skip
            # Keys for everyone in one branch-free sweep, then a cheap filter: once the
            # list is full almost every candidate falls below its floor at one comparison.
            if has_int:
                for a in range(n_people):
                    h = help_acc[a]
                    key_buf[a] = scale[a] * (h + int_acc[a]) + (HELP_TIER if h > 0.0 else 0.0)
            else:
                for a in range(n_people):
                    h = help_acc[a]
                    key_buf[a] = scale[a] * h + (HELP_TIER if h > 0.0 else 0.0)
            count = 0
            floor = 0.0
            for a in range(n_people):
                key = key_buf[a]
                if key <= floor:
                    continue
                if not _allowed(v, a, cls_of, org_of, compat, exclude_org, decl_ptr, decl_idx):
                    continue
                count = _insert(keys, idx, count, depth, key, a)
                if count == depth:
                    floor = keys[depth - 1]
            for r in range(count):
                out_idx[v, r] = idx[r]
                out_key[v, r] = keys[r]
            for r in range(count, depth):
                out_idx[v, r] = -1
                out_key[v, r] = 0.0
            out_cnt[v] = count


@njit(cache=True, inline="always")
def _scatter(terms_ptr, terms_col, terms_val, p, post_ptr, post_person, post_val, weight, acc,
             touched):  # fmt: skip
    """``acc[v] += weight * value(p, t) * value(v, t)`` over p's terms, marking who was hit."""
    for e in range(terms_ptr[p], terms_ptr[p + 1]):
        t = terms_col[e]
        w = weight * terms_val[e]
        for f in range(post_ptr[t], post_ptr[t + 1]):
            acc[post_person[f]] += w * post_val[f]
            touched[post_person[f]] = 1


@njit(cache=True)
def column_keys(p, n_people, need_ptr, need_col, need_val, offer_ptr, offer_col, offer_val,
                int_ptr, int_col, int_val, op_ptr, op_person, op_val, np_ptr, np_person, np_val,
                ip_ptr, ip_person, ip_val, reciprocity, shared_weight, prior, cls_of, org_of,
                compat, exclude_org, decl_ptr, decl_idx):  # fmt: skip
    """The key attendee *p* gets in every other attendee's ranking (0: not a candidate).

    Seen from viewer v, p's score is ``help(p->v) + reciprocity * help(v->p) + shared``:
    p's offers walk the need postings, p's needs walk the offer postings, with the weights
    swapped accordingly.
    """
    norm = 1.0 + reciprocity + shared_weight
    help_acc = np.zeros(n_people, np.float64)
    int_acc = np.zeros(n_people, np.float64)
    touched_h = np.zeros(n_people, np.uint8)
    touched_i = np.zeros(n_people, np.uint8)
    _scatter(offer_ptr, offer_col, offer_val, p, np_ptr, np_person, np_val, 1.0, help_acc,
             touched_h)  # fmt: skip
    if reciprocity > 0.0:
        _scatter(need_ptr, need_col, need_val, p, op_ptr, op_person, op_val, reciprocity,
                 help_acc, touched_h)  # fmt: skip
    if shared_weight > 0.0:
        _scatter(int_ptr, int_col, int_val, p, ip_ptr, ip_person, ip_val, shared_weight,
                 int_acc, touched_i)  # fmt: skip
    out = np.zeros(n_people, np.float64)
    for v in range(n_people):
        if not (touched_h[v] or touched_i[v]):
            continue
        h = help_acc[v]
        s = int_acc[v]
        if h <= 0.0 and s <= 0.0:
            continue
        if not _allowed(v, p, cls_of, org_of, compat, exclude_org, decl_ptr, decl_idx):
            continue
        key = prior[p] / norm * (h + s)
        if h > 0.0:
            key += HELP_TIER
        out[v] = key
    return out


@njit(cache=True)
def allocate_exposure(order, cand_idx, cand_cnt, top_k, cap, n_people):
    """Greedy by key under a hard exposure cap, first one suggestion each, then the rest.

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
            declined = False
            for e in range(decl_ptr[p], decl_ptr[p + 1]):
                if decl_idx[e] == m:
                    declined = True
            if declined:
                continue
            if avail_ok[person_cls[p], person_cls[m]]:
                best = 2
                break
            best = 1
        out[t] = best
    return out


@njit(cache=True, inline="always")
def _overlap(terms, a0, a1, b0, b1, idf):
    """Sum of idf over the terms two phrases share (both term lists sorted)."""
    w = 0.0
    i, j = a0, b0
    while i < a1 and j < b1:
        if terms[i] == terms[j]:
            w += idf[terms[i]]
            i += 1
            j += 1
        elif terms[i] < terms[j]:
            i += 1
        else:
            j += 1
    return w


@njit(cache=True, parallel=True)
def pair_reasons(viewers, partners, field_mine, field_theirs, person_ptr, phrase_ptr,
                 phrase_terms, idf, limit):  # fmt: skip
    """For each (viewer, partner) and each direction, the best phrase matches.

    Direction d compares the viewer's phrases of field ``field_mine[d]`` with the partner's
    phrases of field ``field_theirs[d]``. ``person_ptr[f]`` gives each person's phrase range
    in field f (phrases of all fields share one numbering), ``phrase_ptr`` each phrase's
    sorted terms. For each of the viewer's phrases the partner's phrase sharing the most
    specificity is found; the best ``limit`` of those are kept, best first, a partner's
    phrase used once. Output ``(pairs, directions, limit, 2)`` phrase numbers, -1 if none.
    """
    n_pairs = viewers.shape[0]
    n_dir = field_mine.shape[0]
    out = np.full((n_pairs, n_dir, limit, 2), -1, np.int64)
    for q in prange(n_pairs):
        v = viewers[q]
        p = partners[q]
        for d in range(n_dir):
            fm = field_mine[d]
            ft = field_theirs[d]
            m0, m1 = person_ptr[fm, v], person_ptr[fm, v + 1]
            t0, t1 = person_ptr[ft, p], person_ptr[ft, p + 1]
            if m0 == m1 or t0 == t1:
                continue
            weights = np.zeros(m1 - m0, np.float64)
            best = np.full(m1 - m0, -1, np.int64)
            for i in range(m0, m1):
                for j in range(t0, t1):
                    w = _overlap(phrase_terms, phrase_ptr[i], phrase_ptr[i + 1],
                                 phrase_ptr[j], phrase_ptr[j + 1], idf)  # fmt: skip
                    if w > weights[i - m0]:
                        weights[i - m0] = w
                        best[i - m0] = j
            used = np.zeros(t1 - t0, np.uint8)
            found = 0
            while found < limit:
                top = -1
                for i in range(m1 - m0):
                    if best[i] >= 0 and not used[best[i] - t0]:
                        if top < 0 or weights[i] > weights[top]:
                            top = i
                if top < 0:
                    break
                out[q, d, found, 0] = m0 + top
                out[q, d, found, 1] = best[top]
                used[best[top] - t0] = 1
                best[top] = -1
                found += 1
    return out
