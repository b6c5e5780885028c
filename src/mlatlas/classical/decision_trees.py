"""Decision trees and boosting: CART, random forests and gradient boosting for squared error.

Sources: Breiman, Friedman, Olshen, Stone (1984), "Classification and Regression Trees", Wadsworth;
Breiman (2001), "Random Forests", Machine Learning 45(1), 5-32; Friedman (2001), "Greedy Function
Approximation: A Gradient Boosting Machine", Annals of Statistics 29(5), 1189-1232.
A tree splits the data greedily, one axis-aligned threshold at a time, choosing the split that most
lowers the impurity; a forest averages trees grown on bootstrap samples, and boosting adds small
trees one by one, each fitted to what the sum so far gets wrong.

    node impurity:  Gini 1 - sum_k p_k^2,  entropy -sum_k p_k log2 p_k,  squared error mean (y - ybar)^2
    best split:     argmin over (feature f, threshold t) of  N_L imp(L) + N_R imp(R),  x_f <= t goes left
    boosting:       F_0 = mean(y),  F_m = F_{m-1} + lr * tree_m,  tree_m fitted to y - F_{m-1}

Conventions follow scikit-learn's `tree_`: thresholds are midpoints of adjacent distinct sorted values
(computed as a/2 + b/2), nodes are numbered depth first with the left child first, and a leaf has
feature -2 and threshold -2. Ties between equally good splits on different features go to the lowest
feature index here; scikit-learn visits features in a random order, so on such ties it may differ.
Shapes: N samples, F features, K classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LEAF = -2  # scikit-learn's TREE_LEAF / TREE_UNDEFINED marker
CRITERIA = ("gini", "entropy", "squared_error")


@dataclass
class Tree:
    """Arrays indexed by node id, as in scikit-learn's `tree_`; `value` is (nodes, K) or (nodes, 1)."""

    criterion: str
    feature: list = field(default_factory=list)
    threshold: list = field(default_factory=list)
    children_left: list = field(default_factory=list)
    children_right: list = field(default_factory=list)
    impurity: list = field(default_factory=list)
    n_node_samples: list = field(default_factory=list)
    value: list = field(default_factory=list)  # class fractions, or the mean target

    def apply(self, X: np.ndarray) -> np.ndarray:
        """The leaf id each row of X (N, F) falls into, (N,)."""
        X = np.asarray(X, dtype=np.float64)
        node = np.zeros(len(X), dtype=int)
        feature, threshold = np.array(self.feature), np.array(self.threshold)
        left, right = np.array(self.children_left), np.array(self.children_right)
        while np.any(active := feature[node] != LEAF):
            go_left = X[active, feature[node[active]]] <= threshold[node[active]]
            node[active] = np.where(go_left, left[node[active]], right[node[active]])
        return node

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Leaf means (regression) or the class index with the largest leaf fraction, first on ties, (N,)."""
        v = np.array(self.value)[self.apply(X)]
        return v[:, 0] if self.criterion == "squared_error" else np.argmax(v, axis=1)


def impurity(stats: np.ndarray, n: np.ndarray, criterion: str) -> np.ndarray:
    """Impurity of nodes from their sufficient statistics: class counts (..., K), or (sum y, sum y^2)."""
    if criterion == "squared_error":
        return stats[..., 1] / n - (stats[..., 0] / n) ** 2  # E[y^2] - E[y]^2
    p = stats / n[..., None]
    if criterion == "gini":
        return 1.0 - np.sum(p**2, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(p > 0, p * np.log2(p), 0.0), axis=-1)


def best_split(X: np.ndarray, stats: np.ndarray, features, criterion: str):
    """Exhaustive search: (feature, threshold, weighted child impurity) minimising N_L imp_L + N_R imp_R.

    stats (N, S) holds each sample's statistics (a one-hot class row, or (y, y^2)); their running sums
    over the sorted samples give both children of every threshold at once. Returns None when every
    candidate feature is constant.
    """
    best = None
    for f in features:
        order = np.argsort(X[:, f], kind="stable")
        x = X[order, f]
        cum = np.cumsum(stats[order], axis=0)  # (N, S): statistics of the left child at each cut
        cut = np.flatnonzero(x[1:] > x[:-1])  # left = samples 0..cut, only between distinct values
        if cut.size == 0:
            continue
        n_left = cut + 1.0
        n_right = len(x) - n_left
        left, right = cum[cut], cum[-1] - cum[cut]
        cost = n_left * impurity(left, n_left, criterion) + n_right * impurity(right, n_right, criterion)
        i = int(np.argmin(cost))
        if best is None or cost[i] < best[2]:
            best = (int(f), x[cut[i]] / 2.0 + x[cut[i] + 1] / 2.0, float(cost[i]))  # midpoint
    return best


def grow_tree(
    X: np.ndarray,
    y: np.ndarray,
    criterion: str = "gini",
    max_depth: int | None = None,
    min_samples_split: int = 2,
    max_features: int | None = None,
    rng: np.random.Generator | None = None,
    n_classes: int | None = None,
) -> Tree:
    """CART (Breiman et al. 1984): grow depth first, splitting every node that can still be split.

    A node becomes a leaf at max_depth, with fewer than min_samples_split samples, when it is pure,
    or when all its features are constant. max_features < F draws that many features per node
    without replacement from rng (the random forest's feature subsampling). Classification labels
    are integers 0..K-1.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}: use one of {CRITERIA}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X must be (N, F) and y (N,) with N > 0; got {X.shape} and {np.shape(y)}")
    if max_depth is not None and max_depth < 1:
        raise ValueError(f"max_depth must be >= 1 or None; got {max_depth}")
    if min_samples_split < 2:
        raise ValueError(f"min_samples_split must be >= 2; got {min_samples_split}")
    F = X.shape[1]
    if max_features is not None and not 1 <= max_features <= F:
        raise ValueError(f"max_features must be in 1..{F}; got {max_features}")
    if max_features is not None and max_features < F and rng is None:
        raise ValueError("feature subsampling needs rng, a numpy.random.Generator")
    if criterion == "squared_error":
        y = np.asarray(y, dtype=np.float64)
        stats = np.stack([y, y**2], axis=1)  # (N, 2)
    else:
        y = np.asarray(y)
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise ValueError("classification labels must be integers 0..K-1 (np.unique with return_inverse)")
        stats = np.eye(n_classes or int(y.max()) + 1)[y]  # (N, K) one-hot

    tree = Tree(criterion)
    stack = [(np.arange(len(X)), 0, None, False)]  # (samples, depth, parent, is_left)
    while stack:
        idx, depth, parent, is_left = stack.pop()
        node = len(tree.feature)
        if parent is not None:
            (tree.children_left if is_left else tree.children_right)[parent] = node
        total, n = stats[idx].sum(axis=0), float(len(idx))
        imp = float(impurity(total, np.array(n), criterion))
        tree.impurity.append(imp)
        tree.n_node_samples.append(len(idx))
        tree.value.append(total[:1] / n if criterion == "squared_error" else total / n)
        for arr in (tree.feature, tree.children_left, tree.children_right):
            arr.append(LEAF if arr is tree.feature else -1)
        tree.threshold.append(float(LEAF))
        if (max_depth is not None and depth >= max_depth) or len(idx) < min_samples_split:
            continue
        if imp <= np.finfo(np.float64).eps:  # pure node
            continue
        subsample = max_features not in (None, F)
        features = np.sort(rng.choice(F, max_features, replace=False)) if subsample else range(F)
        split = best_split(X[idx], stats[idx], features, criterion)
        if split is None:
            continue
        f, t, _ = split
        tree.feature[node], tree.threshold[node] = f, t
        go_left = X[idx, f] <= t
        stack.append((idx[~go_left], depth + 1, node, False))  # pushed first, so the left child is next
        stack.append((idx[go_left], depth + 1, node, True))
    return tree


@dataclass
class Forest:
    trees: list
    criterion: str

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Average of the trees: mean prediction (regression) or the class with the largest mean fraction."""
        v = np.mean([np.array(t.value)[t.apply(X)] for t in self.trees], axis=0)  # (N, K) or (N, 1)
        return v[:, 0] if self.criterion == "squared_error" else np.argmax(v, axis=1)


def random_forest(
    X: np.ndarray,
    y: np.ndarray,
    n_trees: int,
    rng: np.random.Generator,
    criterion: str = "squared_error",
    max_features: int | None = None,
    max_depth: int | None = None,
    bootstrap: bool = True,
) -> Forest:
    """Breiman (2001): trees on bootstrap samples, each node choosing among max_features random features."""
    if n_trees < 1:
        raise ValueError(f"n_trees must be >= 1; got {n_trees}")
    X = np.asarray(X, dtype=np.float64)
    K = None if criterion == "squared_error" else int(np.max(y)) + 1
    trees = []
    for _ in range(n_trees):
        idx = rng.integers(0, len(X), len(X)) if bootstrap else np.arange(len(X))  # N draws with replacement
        trees.append(grow_tree(X[idx], np.asarray(y)[idx], criterion, max_depth, 2, max_features, rng, K))
    return Forest(trees, criterion)


@dataclass
class Boosting:
    init: float
    trees: list
    learning_rate: float
    train_loss: np.ndarray  # (M,) training mean squared error after each stage

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.init + self.learning_rate * sum(t.predict(X) for t in self.trees)


def gradient_boosting(
    X: np.ndarray, y: np.ndarray, n_estimators: int, learning_rate: float = 0.1, max_depth: int = 3
) -> Boosting:
    """Friedman (2001), Algorithm 2 (LS_Boost) with shrinkage: trees fitted to residuals, added times lr.

    For the loss (y - F)^2 / 2 the negative gradient is the residual y - F, and a regression tree's
    leaf means are already the best constant step in each leaf, so no line search is needed.
    """
    if n_estimators < 1:
        raise ValueError(f"n_estimators must be >= 1; got {n_estimators}")
    if not 0 < learning_rate <= 1:
        raise ValueError(f"learning_rate must be in (0, 1]; got {learning_rate}")
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    init = float(np.mean(y))  # F_0 = argmin_c sum_i (y_i - c)^2
    F = np.full(len(y), init)
    trees, loss = [], []
    for _ in range(n_estimators):
        tree = grow_tree(X, y - F, "squared_error", max_depth)  # fit the negative gradient
        F = F + learning_rate * tree.predict(X)  # F_m = F_{m-1} + lr * h_m
        trees.append(tree)
        loss.append(np.mean((y - F) ** 2))  # training MSE, as scikit-learn's train_score_
    return Boosting(init, trees, learning_rate, np.array(loss))
