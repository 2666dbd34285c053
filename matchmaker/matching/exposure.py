"""Exposure rules: how often one person may appear in others' lists.

Both rules start from each attendee's exact candidates, ranked ``candidate_depth`` deep.
``exposure_penalty`` divides a candidate's fit by ``1 + penalty * log2(lists / top_k)`` for
people in more than ``top_k`` first lists, keeping the help tier of the key, so a pair that
only shares interests never rises above one where someone can help; ``max_exposure`` is a
hard cap, filled greedily by key (first one suggestion for everyone, then the rest).
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .types import MatchSettings

#: Candidates ranked exactly per attendee, as a multiple of top_k, when an exposure rule
#: may move some of them out of the list.
DEPTH_FACTOR = 3


def candidate_depth(settings: MatchSettings) -> int:
    """How many candidates to rank exactly per attendee: top_k, deeper if a rule applies."""
    penalised = settings.exposure_penalty > 0 or settings.max_exposure is not None
    return settings.top_k * (DEPTH_FACTOR if penalised else 1)


def final_lists(
    cand_idx: np.ndarray, cand_key: np.ndarray, cand_cnt: np.ndarray, settings: MatchSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Each attendee's final top_k (indices, keys) after the exposure rules.

    ``cand_idx`` and ``cand_key`` (n x depth) hold the exact candidates best first and
    ``cand_cnt`` how many of each row are filled; -1 (index) and 0 (key) pad the result.
    """
    n, depth = cand_idx.shape
    k = settings.top_k
    idx, key, cnt = cand_idx, cand_key.copy(), cand_cnt
    filled = np.arange(depth)[None, :] < cnt[:, None]
    if settings.exposure_penalty > 0 and n:
        first = idx[:, :k][filled[:, :k]]
        exposure = np.bincount(first, minlength=n)
        # Appearing in up to top_k lists is what everyone does; beyond that each doubling
        # costs a little, so the penalty nudges instead of hiding the people who can help.
        excess = np.log2(np.maximum(exposure / k, 1.0))
        factor = 1.0 / (1.0 + settings.exposure_penalty * excess)
        tier = np.floor(key / kernels.HELP_TIER) * kernels.HELP_TIER
        key = np.where(filled, tier + (key - tier) * factor[np.maximum(idx, 0)], key)
        order = np.lexsort((np.where(filled, idx, n), -np.where(filled, key, -1.0)), axis=1)
        idx = np.take_along_axis(idx, order, axis=1)
        key = np.take_along_axis(key, order, axis=1)
    if settings.max_exposure is not None and n:
        slots = np.flatnonzero(filled.ravel())
        order = slots[np.lexsort((slots, -key.ravel()[slots]))]
        accepted, _, _ = kernels.allocate_exposure(order, idx, cnt, k, settings.max_exposure, n)
        keep = accepted.reshape(n, depth).astype(bool)
        position = np.cumsum(keep, axis=1) - 1
        rows, cols = np.nonzero(keep & (position < k))
        out_idx = np.full((n, k), -1, dtype=np.int64)
        out_key = np.zeros((n, k), dtype=np.float64)
        out_idx[rows, position[rows, cols]] = idx[rows, cols]
        out_key[rows, position[rows, cols]] = key[rows, cols]
        return out_idx, out_key
    filled = np.arange(depth)[None, :] < cnt[:, None]
    return np.where(filled, idx, -1)[:, :k], np.where(filled, key, 0.0)[:, :k]
