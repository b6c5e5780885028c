"""CART, random forests and gradient boosting against scikit-learn's trees and GradientBoostingRegressor."""

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlatlas.classical.decision_trees import LEAF, gradient_boosting, grow_tree, random_forest
from mlatlas.verification import verifies

TOL = 1e-12  # thresholds and impurities in float64
TOL_GB = 1e-10  # the boosting loss curve after 40 stages of float64 sums


def data(seed: int = 2, n: int = 300):
    """Three Gaussian features, rounded to float32 (scikit-learn's trees split float32 copies of X),
    a three-class label and a continuous target. Continuous features have no tied values; on this seed
    no node has two features that give the same best partition either, the one case where scikit-learn's
    random feature order, not the data, picks the split (seed 1 at depth 3 has such a tie)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32).astype(np.float64)
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.5 * rng.normal(size=n) > 0.5).astype(int) + (X[:, 2] > 1)
    yr = np.sin(2 * X[:, 0]) + X[:, 1] + 0.3 * rng.normal(size=n)
    return X, y, yr


def assert_same_tree(ours, ref, X):
    assert len(ours.feature) == ref.node_count
    np.testing.assert_array_equal(ours.feature, ref.feature)
    np.testing.assert_array_equal(ours.children_left, ref.children_left)
    np.testing.assert_array_equal(ours.children_right, ref.children_right)
    np.testing.assert_array_equal(ours.n_node_samples, ref.n_node_samples)
    np.testing.assert_allclose(ours.threshold, ref.threshold, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.impurity, ref.impurity, rtol=0, atol=TOL)
    np.testing.assert_allclose(np.array(ours.value), ref.value[:, 0, :], rtol=0, atol=TOL)
    np.testing.assert_array_equal(ours.apply(X), ref.apply(X.astype(np.float32)))


@verifies(
    "decision-trees-and-boosting",
    against="sklearn.tree.DecisionTreeClassifier",
    tol=TOL,
    note="Gini and entropy, max_depth 3 and 4, 300 Gaussian points in 3 features: same node structure and "
    "features, thresholds, impurities and leaf class fractions to 1e-12, same leaf for every point",
)
@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("max_depth", [3, 4])
def test_classifier_matches_sklearn(criterion, max_depth):
    X, y, _ = data()
    ours = grow_tree(X, y, criterion, max_depth)
    ref = DecisionTreeClassifier(criterion=criterion, max_depth=max_depth, random_state=0).fit(X, y)
    assert_same_tree(ours, ref.tree_, X)
    Xq = np.random.default_rng(5).normal(size=(200, 3)).astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(ours.predict(Xq), ref.predict(Xq))


@verifies(
    "decision-trees-and-boosting",
    against="sklearn.tree.DecisionTreeRegressor",
    tol=TOL,
    note="squared error, max_depth 3 and 4 and min_samples_split 20: same structure, thresholds, "
    "impurities and leaf means to 1e-12; predictions equal",
)
@pytest.mark.parametrize("max_depth,min_samples_split", [(3, 2), (4, 2), (4, 20)])
def test_regressor_matches_sklearn(max_depth, min_samples_split):
    X, _, yr = data()
    ours = grow_tree(X, yr, "squared_error", max_depth, min_samples_split)
    ref = DecisionTreeRegressor(max_depth=max_depth, min_samples_split=min_samples_split, random_state=0)
    ref.fit(X, yr)
    assert_same_tree(ours, ref.tree_, X)
    Xq = np.random.default_rng(5).normal(size=(200, 3)).astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(ours.predict(Xq), ref.predict(Xq), rtol=0, atol=TOL)


@verifies(
    "decision-trees-and-boosting",
    against="sklearn.ensemble.GradientBoostingRegressor",
    tol=TOL_GB,
    note="loss='squared_error', learning_rate 0.1 and 0.5, max_depth 2 and 3, 40 stages, subsample 1.0: "
    "train_score_ (the training MSE after each stage, not half of it) and predictions to 1e-10",
)
@pytest.mark.parametrize("learning_rate,max_depth", [(0.1, 3), (0.5, 2)])
def test_boosting_matches_sklearn(learning_rate, max_depth):
    X, _, yr = data()
    ours = gradient_boosting(X, yr, 40, learning_rate, max_depth)
    ref = GradientBoostingRegressor(
        loss="squared_error",
        learning_rate=learning_rate,
        max_depth=max_depth,
        n_estimators=40,
        subsample=1.0,
        random_state=0,
    ).fit(X, yr)
    # scikit-learn's train_score_[i] for squared_error is the plain mean squared error after stage i
    np.testing.assert_allclose(ours.train_loss, ref.train_score_, rtol=0, atol=TOL_GB)
    np.testing.assert_allclose(ours.train_loss[-1], np.mean((yr - ours.predict(X)) ** 2), rtol=0, atol=TOL_GB)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=0, atol=TOL_GB)
    assert np.all(np.diff(ours.train_loss) <= 0)  # squared-error boosting never raises the training loss


def test_forest_without_randomness_is_one_tree():
    """No bootstrap and all features per node: every tree is the deterministic CART tree."""
    X, _, yr = data()
    forest = random_forest(X, yr, 3, np.random.default_rng(0), max_depth=4, bootstrap=False)
    one = grow_tree(X, yr, "squared_error", 4).predict(X)
    # a mean of 3 equal numbers: equal up to rounding
    np.testing.assert_allclose(forest.predict(X), one, rtol=0, atol=TOL)


def test_forest_averaging_reduces_test_error():
    """Breiman (2001): averaging de-correlated, fully grown trees lowers the variance part of the error.
    Seeded: on 1000 test points, 50 trees with 2 of 3 features per node beat one full tree by a wide margin
    (measured 0.16 vs 0.30 mean squared error, noise variance 0.09; the test asks for 25% lower)."""
    X, _, yr = data()
    Xt, _, yt = data(seed=7, n=1000)
    single = np.mean((grow_tree(X, yr, "squared_error").predict(Xt) - yt) ** 2)
    forest = random_forest(X, yr, 50, np.random.default_rng(0), max_features=2)
    assert np.mean((forest.predict(Xt) - yt) ** 2) < 0.75 * single


def test_the_figures_tree_region():
    """The alt text: the depth-3 tree's class-1 region is a strip through the circle, open at the bottom."""
    from mlatlas.classical.figures.decision_trees import _fits

    (_, _, tree), _, _ = _fits()
    inside, below, above, right = [0.0, 0.0], [0.0, -3.0], [0.0, 2.0], [2.5, 0.0]
    np.testing.assert_array_equal(tree.predict(np.array([inside, below, above, right])), [1, 1, 0, 0])
    leaves = np.flatnonzero(np.array(tree.feature) == LEAF)
    class1 = [i for i in leaves if np.argmax(tree.value[i]) == 1]
    assert sorted(tree.n_node_samples[i] for i in class1) == [1, 126]  # the strip, and one tiny box


def test_leaves_and_stopping():
    X, y, _ = data()
    tree = grow_tree(X, y, "gini")  # grown until pure: every training point is classified correctly
    np.testing.assert_array_equal(tree.predict(X), y)
    leaves = np.array(tree.feature) == LEAF
    assert np.all(np.array(tree.impurity)[leaves] == 0)
    stump = grow_tree(X, y, "gini", min_samples_split=len(X) + 1)
    assert stump.feature == [LEAF]


def test_failure_paths():
    X, y, yr = data()
    with pytest.raises(ValueError, match="unknown criterion"):
        grow_tree(X, y, "log_loss")
    with pytest.raises(ValueError, match="max_depth must be >= 1"):
        grow_tree(X, y, max_depth=0)
    with pytest.raises(ValueError, match="min_samples_split must be >= 2"):
        grow_tree(X, y, min_samples_split=1)
    with pytest.raises(ValueError, match="integers 0..K-1"):
        grow_tree(X, yr, "gini")
    with pytest.raises(ValueError, match="needs rng"):
        grow_tree(X, y, max_features=1)
    with pytest.raises(ValueError, match="X must be"):
        grow_tree(X[:, 0], y)
    with pytest.raises(ValueError, match="learning_rate must be in"):
        gradient_boosting(X, yr, 5, learning_rate=0.0)
    with pytest.raises(ValueError, match="n_trees must be >= 1"):
        random_forest(X, yr, 0, np.random.default_rng(0))
