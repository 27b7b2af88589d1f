"""The fast exact path: a vectorised numpy traversal of forest.npz (MODEL_FORMAT.md)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_ARRAYS = ("node_offset", "children_left", "children_right", "feature", "threshold", "value")
# Rows traversed at once: bounds the (rows x trees) index arrays to a few MB per step.
_CHUNK_ROWS = 2048
# Check "all trees at a leaf" every 4 levels from this depth on (a check costs 2 ops).
_EARLY_EXIT_FROM = 8


class ForestFormatError(ValueError):
    """forest.npz does not hold a well-formed forest."""


@dataclass(frozen=True)
class Forest:
    """All trees, with global child indices and leaves that loop to themselves.

    A leaf points to itself on both sides (feature 0, threshold +inf), so every tree can
    be stepped with no per-tree bookkeeping: one level of all trees for all rows is three
    gathers, a compare and an add. Nodes are addressed by their doubled index `2 * node`
    (arrays below are repeated twice) so that `2 * node + went_right` indexes the child
    directly, saving a multiplication per level.
    """

    roots2: npt.NDArray[np.intp]  # 2 * root node of each tree
    child2: npt.NDArray[np.intp]  # child2[2 * node + right] = 2 * child
    feature2: npt.NDArray[np.intp]  # feature2[2 * node] == feature2[2 * node + 1]
    threshold2: npt.NDArray[np.float64]
    internal2: npt.NDArray[np.bool_]
    value: npt.NDArray[np.float64]
    depth: int
    n_features: int

    @property
    def n_trees(self) -> int:
        """Number of trees."""
        return int(self.roots2.shape[0])

    @property
    def n_outputs(self) -> int:
        """Columns of `value`: 1 for regression, the class count for classification."""
        return int(self.value.shape[1])

    def leaves(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        """Global leaf index reached by each row in each tree, shape (rows, trees)."""
        # scikit-learn compares float32(X) with float64 thresholds; so do we (exact match).
        # The design matrix never holds NaN (the schema refuses it, None is imputed), so
        # "right when x > threshold" is the same as "left when x <= threshold".
        x32 = np.ascontiguousarray(x, dtype=np.float32)
        flat_x = x32.ravel()
        nodes = np.tile(self.roots2, (x32.shape[0], 1))
        if x32.shape[0] == 1:
            nodes = nodes[0]
            row_base: npt.NDArray[np.intp] | int = 0
        else:
            row_base = (np.arange(x32.shape[0], dtype=np.intp) * self.n_features)[:, None]
        for level in range(self.depth):
            went_right = flat_x[row_base + self.feature2[nodes]] > self.threshold2[nodes]
            nodes = self.child2[nodes + went_right]
            # Most rows reach their leaves well before the deepest leaf of the forest.
            if level >= _EARLY_EXIT_FROM and level % 4 == 0 and not self.internal2[nodes].any():
                break
        return (nodes // 2).reshape(x32.shape[0], self.n_trees)

    def predict_values(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Mean over trees of the leaf values, shape (rows, n_outputs)."""
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"design matrix must be (rows, {self.n_features}), got {x.shape}")
        out = np.empty((x.shape[0], self.n_outputs), dtype=np.float64)
        for start in range(0, x.shape[0], _CHUNK_ROWS):
            leaves = self.leaves(x[start : start + _CHUNK_ROWS])
            out[start : start + _CHUNK_ROWS] = self.value[leaves].sum(axis=1) / self.n_trees
        return out


def load_forest(data: bytes) -> Forest:
    """Parse forest.npz bytes (never unpickles) into a ready-to-run Forest.

    Raises:
        ForestFormatError: arrays missing, of the wrong shape, or not a set of trees.
    """
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            missing = [name for name in (*_ARRAYS, "n_features") if name not in npz.files]
            if missing:
                raise ForestFormatError(f"forest.npz lacks arrays {missing}")
            arrays = {name: np.asarray(npz[name]) for name in _ARRAYS}
            n_features = int(npz["n_features"])
    except (OSError, ValueError) as error:
        if isinstance(error, ForestFormatError):
            raise
        raise ForestFormatError(f"forest.npz is not a readable npz file: {error}") from error
    return _build(arrays, n_features)


def _build(arrays: dict[str, npt.NDArray[np.generic]], n_features: int) -> Forest:
    offset = arrays["node_offset"].astype(np.intp)
    left_local = arrays["children_left"].astype(np.intp)
    right_local = arrays["children_right"].astype(np.intp)
    feature = arrays["feature"].astype(np.intp)
    threshold = arrays["threshold"].astype(np.float64)
    value = arrays["value"].astype(np.float64)
    if value.ndim == 1:
        value = value[:, None]
    n_nodes = left_local.shape[0]
    if (
        offset.ndim != 1
        or offset.shape[0] < 2
        or offset[0] != 0
        or offset[-1] != n_nodes
        or np.any(np.diff(offset) < 1)
        or not (right_local.shape == feature.shape == threshold.shape == (n_nodes,))
        or value.shape[0] != n_nodes
        or value.ndim != 2
    ):
        raise ForestFormatError("forest.npz arrays have inconsistent shapes")
    tree_of_node = np.repeat(np.arange(offset.shape[0] - 1), np.diff(offset))
    base = offset[tree_of_node]
    is_leaf = left_local < 0
    if np.any(is_leaf != (right_local < 0)):
        raise ForestFormatError("forest.npz has nodes with exactly one child")
    own = np.arange(n_nodes, dtype=np.intp)
    left = np.where(is_leaf, own, base + left_local)
    right = np.where(is_leaf, own, base + right_local)
    tree_size = np.diff(offset)[tree_of_node]
    if np.any(~is_leaf & ((left_local >= tree_size) | (right_local >= tree_size))):
        raise ForestFormatError("forest.npz has a child index outside its tree")
    if np.any(~is_leaf & ((feature < 0) | (feature >= n_features))):
        raise ForestFormatError("forest.npz tests a feature outside the design matrix")
    feature = np.where(is_leaf, 0, feature)
    threshold = np.where(is_leaf, np.inf, threshold)
    roots = offset[:-1].copy()
    depth = _max_depth(roots, left, right, is_leaf)
    child2 = 2 * np.stack([left, right], axis=1).ravel()
    return Forest(
        2 * roots,
        child2,
        np.repeat(feature, 2),
        np.repeat(threshold, 2),
        np.repeat(~is_leaf, 2),
        value,
        depth,
        n_features,
    )


def _max_depth(
    roots: npt.NDArray[np.intp],
    left: npt.NDArray[np.intp],
    right: npt.NDArray[np.intp],
    is_leaf: npt.NDArray[np.bool_],
) -> int:
    """Longest root-to-leaf path; refuses shapes that are not trees.

    With at most one parent per node and no parent for a root, what the roots reach is a
    set of trees: the frontier below never repeats a node and the walk ends.
    """
    internal = ~is_leaf
    parents = np.bincount(
        np.concatenate([left[internal], right[internal]]), minlength=left.shape[0]
    )
    if parents.max(initial=0) > 1 or parents[roots].any():
        raise ForestFormatError(
            "forest.npz trees are not trees (a node with two parents, or a root with a parent)"
        )
    frontier = roots
    depth = 0
    while True:
        frontier = frontier[internal[frontier]]
        if frontier.size == 0:
            return depth
        depth += 1
        frontier = np.concatenate([left[frontier], right[frontier]])
