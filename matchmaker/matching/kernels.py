"""Numba kernels behind `engine`: sparse score accumulation, top-k, exposure, explanations.

Everything here works on plain arrays built by `engine.Matcher`; attendees are row indices
sorted by id, so "lower index" means "lower id" and ties are broken the same way everywhere.

A viewer's candidates are scored through inverted indexes (term -> people holding it): the
viewer's needs walk the offer postings (how much each candidate can help the viewer), the
viewer's offers walk the need postings (how much the viewer can help each candidate) and
interests walk the interest postings. Each thread keeps dense accumulators the size of the
event and a list of the people it touched, so the cost is the number of postings walked, not
the number of pairs.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: Candidates with some help (either direction) rank above those who only share interests.
HELP_TIER = 2.0


@njit(cache=True, inline="always")
def _walk(terms_ptr, terms_col, terms_val, v, post_ptr, post_person, post_val, weight, acc,
          stamp, touched, n_touched, mark):  # fmt: skip
    """Add ``weight * value(v, t) * value(a, t)`` to ``acc[a]`` for every term t of v."""
    for e in range(terms_ptr[v], terms_ptr[v + 1]):
        t = terms_col[e]
        w = weight * terms_val[e]
        for f in range(post_ptr[t], post_ptr[t + 1]):
            a = post_person[f]
            if stamp[a] != mark:
                stamp[a] = mark
                acc[a] = 0.0
                touched[n_touched] = a
                n_touched += 1
            acc[a] += w * post_val[f]
    return n_touched


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


@njit(cache=True)
def _score_viewer(v, need_ptr, need_col, need_val, offer_ptr, offer_col, offer_val, int_ptr,
                  int_col, int_val, op_ptr, op_person, op_val, np_ptr, np_person, np_val,
                  ip_ptr, ip_person, ip_val, reciprocity, shared_weight, prior, help_acc,
                  int_acc, stamp_h, stamp_i, touched, mark):  # fmt: skip
    """Accumulate viewer v's scores; return how many people were touched."""
    n_touched = 0
    n_touched = _walk(need_ptr, need_col, need_val, v, op_ptr, op_person, op_val, 1.0,
                      help_acc, stamp_h, touched, n_touched, mark)  # fmt: skip
    if reciprocity > 0.0:
        n_touched = _walk(offer_ptr, offer_col, offer_val, v, np_ptr, np_person, np_val,
                          reciprocity, help_acc, stamp_h, touched, n_touched, mark)  # fmt: skip
    if shared_weight > 0.0:
        # Interests use their own stamp so that a person reached only through interests is
        # still listed once: they are appended to `touched` only if help did not reach them.
        for e in range(int_ptr[v], int_ptr[v + 1]):
            t = int_col[e]
            w = shared_weight * int_val[e]
            for f in range(ip_ptr[t], ip_ptr[t + 1]):
                a = ip_person[f]
                if stamp_i[a] != mark:
                    stamp_i[a] = mark
                    int_acc[a] = 0.0
                    if stamp_h[a] != mark:
                        stamp_h[a] = mark
                        help_acc[a] = 0.0
                        touched[n_touched] = a
                        n_touched += 1
                int_acc[a] += w * ip_val[f]
    return n_touched


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


@njit(cache=True, parallel=True)
def rank(viewers, n_people, need_ptr, need_col, need_val, offer_ptr, offer_col, offer_val,
         int_ptr, int_col, int_val, op_ptr, op_person, op_val, np_ptr, np_person, np_val,
         ip_ptr, ip_person, ip_val, reciprocity, shared_weight, prior, cls_of, org_of, compat,
         exclude_org, decl_ptr, decl_idx, depth, out_idx, out_key, out_cnt, n_chunks):  # fmt: skip
    """Exact top-`depth` candidates of every viewer, written to row v of the outputs.

    The ranking key is ``score`` for pairs that only share interests and
    ``HELP_TIER + score`` for pairs where someone can help, with
    ``score = prior[a] * (help(a->v) + reciprocity * help(v->a) + shared) / norm``.
    """
    norm = 1.0 + reciprocity + shared_weight
    n_viewers = viewers.shape[0]
    for c in prange(n_chunks):
        help_acc = np.zeros(n_people, np.float64)
        int_acc = np.zeros(n_people, np.float64)
        stamp_h = np.full(n_people, -1, np.int64)
        stamp_i = np.full(n_people, -1, np.int64)
        touched = np.empty(n_people, np.int64)
        keys = np.empty(depth, np.float64)
        idx = np.empty(depth, np.int64)
        for t in range(c, n_viewers, n_chunks):
            v = viewers[t]
            n_touched = _score_viewer(
                v, need_ptr, need_col, need_val, offer_ptr, offer_col, offer_val, int_ptr,
                int_col, int_val, op_ptr, op_person, op_val, np_ptr, np_person, np_val, ip_ptr,
                ip_person, ip_val, reciprocity, shared_weight, prior, help_acc, int_acc,
                stamp_h, stamp_i, touched, v,
            )  # fmt: skip
            count = 0
            for j in range(n_touched):
                a = touched[j]
                h = help_acc[a]
                s = int_acc[a] if stamp_i[a] == v else 0.0
                if h <= 0.0 and s <= 0.0:
                    continue
                if not _allowed(v, a, cls_of, org_of, compat, exclude_org, decl_ptr, decl_idx):
                    continue
                key = prior[a] * (h + s) / norm
                if h > 0.0:
                    key += HELP_TIER
                count = _insert(keys, idx, count, depth, key, a)
            for r in range(count):
                out_idx[v, r] = idx[r]
                out_key[v, r] = keys[r]
            for r in range(count, depth):
                out_idx[v, r] = -1
                out_key[v, r] = 0.0
            out_cnt[v] = count


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
    for e in range(offer_ptr[p], offer_ptr[p + 1]):
        t = offer_col[e]
        w = offer_val[e]
        for f in range(np_ptr[t], np_ptr[t + 1]):
            help_acc[np_person[f]] += w * np_val[f]
            touched_h[np_person[f]] = 1
    if reciprocity > 0.0:
        for e in range(need_ptr[p], need_ptr[p + 1]):
            t = need_col[e]
            w = reciprocity * need_val[e]
            for f in range(op_ptr[t], op_ptr[t + 1]):
                help_acc[op_person[f]] += w * op_val[f]
                touched_h[op_person[f]] = 1
    if shared_weight > 0.0:
        for e in range(int_ptr[p], int_ptr[p + 1]):
            t = int_col[e]
            w = shared_weight * int_val[e]
            for f in range(ip_ptr[t], ip_ptr[t + 1]):
                int_acc[ip_person[f]] += w * ip_val[f]
                touched_i[ip_person[f]] = 1
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
        key = prior[p] * (h + s) / norm
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
