"""Where the dots of a network picture go: Fruchterman and Reingold's spring forces for each
connected group, fixed shapes for two or three people, and the groups packed in rows.

Deterministic: the same people and meetings always give the same picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def spring_layout(
    count: int, edges: Sequence[tuple[int, int]], *, seed: int = 2026, iterations: int = 80
) -> np.ndarray:
    """Positions of ``count`` nodes joined by ``edges`` (index pairs), shape (count, 2), in
    [0, 1]: Fruchterman and Reingold's forces (neighbours pull, everyone pushes) with a
    little gravity so that separate groups stay near each other, from seeded starting
    points, so the same graph always gets the same picture.

    Dense (count × count) arrays: meant for the few hundred people an event draws one by
    one, not for thousands.
    """
    if count == 0:
        return np.zeros((0, 2))
    if count == 1:
        return np.full((1, 2), 0.5)
    rng = np.random.default_rng(seed)
    position = rng.random((count, 2))
    adjacency = np.zeros((count, count))
    for a, b in edges:
        if a != b:
            adjacency[a, b] += 1.0
            adjacency[b, a] += 1.0
    k = math.sqrt(1.0 / count)
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        x, y = position[:, 0], position[:, 1]
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        squared = dx * dx + dy * dy
        np.maximum(squared, 1e-4, out=squared)
        force = k * k / squared - adjacency * np.sqrt(squared) / k
        displacement = np.stack([(dx * force).sum(axis=1), (dy * force).sum(axis=1)], axis=1)
        displacement -= 0.6 * k * (position - position.mean(axis=0))
        length = np.sqrt((displacement**2).sum(axis=1))
        np.maximum(length, 0.01, out=length)
        position += displacement * (temperature / length)[:, None]
        temperature -= cooling
    position -= position.min(axis=0)
    span = position.max(axis=0)
    span[span == 0] = 1.0
    return position / span.max()


def components(count: int, edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The connected groups of nodes ``0 .. count-1``, biggest first (ties: lowest node)."""
    parent = list(range(count))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for node in range(count):
        groups.setdefault(root(node), []).append(node)
    return sorted(groups.values(), key=lambda members: (-len(members), members[0]))


def _small_layout(size: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Two or three people: a line with the busiest one in the middle, or a triangle."""
    if size == 2:
        return np.array([[0.0, 0.5], [1.0, 0.5]])
    if len(edges) >= 3:
        return np.array([[0.0, 1.0], [0.5, 0.0], [1.0, 1.0]])
    degree = [sum(node in edge for edge in edges) for node in range(3)]
    middle = degree.index(max(degree))
    ends = [node for node in range(3) if node != middle]
    position = np.zeros((3, 2))
    position[:, 1] = 0.5
    position[ends[0], 0], position[middle, 0], position[ends[1], 0] = 0.0, 0.5, 1.0
    return position


def packed_layout(
    edges: Sequence[tuple[int, int]],
    count: int,
    width: float,
    *,
    radius: float,
    spacing: float = 26.0,
    gap: float = 16.0,
    label_room: Sequence[float] | None = None,
) -> tuple[np.ndarray, float]:
    """Positions of ``count`` nodes in picture units, shape (count, 2), within ``width``,
    and the height used. Each connected group is laid out on its own (spring forces, or a
    fixed shape for two or three people) in a square whose side grows with the square root
    of its size, and the groups are packed in centred rows, biggest first: no space is
    lost between groups that pushed each other away. ``label_room`` is the room to keep to
    the right of each node for its name; two or three people with names are stacked."""
    rooms = list(label_room) if label_room is not None else [0.0] * count
    position = np.zeros((count, 2))
    by_node: dict[int, list[tuple[int, int]]] = {}
    for a, b in edges:
        by_node.setdefault(min(a, b), []).append((a, b))
    rows: list[list[tuple[list[int], np.ndarray, float, float]]] = [[]]
    row_width = 0.0
    for members in components(count, edges):
        local = {node: n for n, node in enumerate(members)}
        inner = [(local[a], local[b]) for node in members for a, b in by_node.get(node, ())]
        room = max(rooms[node] for node in members)
        if len(members) == 1:
            shape = np.full((1, 2), 0.5)
        elif len(members) <= 3:
            shape = _small_layout(len(members), inner)
            if room:  # names are written to the right: stack the people instead
                shape = shape[:, ::-1].copy()
        else:
            shape = spring_layout(len(members), inner, iterations=60 if len(members) < 20 else 80)
        side = spacing * 1.25 * math.sqrt(len(members) - 1) if len(members) > 1 else 0.0
        side = min(side, width - room - 2 * radius)
        extent = shape.max(axis=0) - shape.min(axis=0)
        box_w = side * extent[0] + 2 * radius + room
        box_h = side * extent[1] + 2 * radius
        placed = (shape - shape.min(axis=0)) * side + radius
        if rows[-1] and row_width + gap + box_w > width:
            rows.append([])
            row_width = 0.0
        row_width += (gap if rows[-1] else 0.0) + box_w
        rows[-1].append((members, placed, box_w, box_h))
    y = 0.0
    for row in rows:
        used = sum(box_w for _, _, box_w, _ in row) + gap * (len(row) - 1)
        x = (width - used) / 2
        height = max((box_h for _, _, _, box_h in row), default=0.0)
        for members, placed, box_w, box_h in row:
            offset = np.array([x, y + (height - box_h) / 2])
            position[members] = placed + offset
            x += box_w + gap
        y += height + gap
    return position, max(y - gap, 0.0)
