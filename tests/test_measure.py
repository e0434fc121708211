"""The course's measure of a generator: the Fréchet distance checked against NumPy on small
sets, and the shipped classifier on real images."""

from __future__ import annotations

import numpy as np
import pytest

from aecourse import measure
from aecourse.datasets import load_sample


def reference(a, b):
    """The same distance as FID code computes it: the matrix square root of S_a S_b."""
    from scipy.linalg import sqrtm

    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return (np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b)
            - 2 * np.trace(np.real(sqrtm(cov_a @ cov_b))))


def test_frechet_distance_against_numpy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 5))
    b = rng.normal(size=(150, 5)) @ rng.normal(size=(5, 5)) + 0.5
    assert measure.frechet_distance(a, b) == pytest.approx(reference(a, b), rel=1e-6)
    assert measure.frechet_distance(a, b) == pytest.approx(measure.frechet_distance(b, a))
    assert measure.frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    shift = np.array([1.0, -2.0, 0.0, 0.5, 3.0])  # a moved cloud: exactly |shift|^2 away
    assert measure.frechet_distance(a, a + shift) == pytest.approx(np.sum(shift ** 2))
    # two Gaussians with known covariances, far more samples than dimensions
    big = rng.normal(size=(40_000, 2))
    scaled = rng.normal(size=(40_000, 2)) * 2.0  # covariance 4 I: 2 * (1 + 4 - 2 * 2) = 2
    assert measure.frechet_distance(big, scaled) == pytest.approx(2.0, abs=0.1)


def test_frechet_distance_of_degenerate_sets():
    a = np.zeros((10, 3))  # singular covariances: no crash, no NaN
    b = np.ones((10, 3))
    assert measure.frechet_distance(a, b) == pytest.approx(3.0)
    rng = np.random.default_rng(2)
    flat = np.c_[rng.normal(size=(50, 2)), np.zeros(50)]  # rank 2 of 3
    assert measure.frechet_distance(flat, flat) == pytest.approx(0, abs=1e-9)
    with pytest.raises(ValueError, match="one size"):
        measure.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        measure.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_images_are_checked_and_scaled():
    with pytest.raises(ValueError, match="shape"):
        measure._images(np.zeros((4, 27, 28)))
    pixels = np.full((2, 28, 28), 255, dtype=np.uint8)
    assert measure._images(pixels).max() == 1.0
    assert measure._images(np.full((2, 784), 3.0)).shape == (2, 28, 28)


def test_the_shipped_classifier_knows_fashion_mnist():
    (X_train, _), (X_test, y_test) = load_sample()
    predicted = np.argmax(measure.classifier().predict(X_test / 255.0, verbose=0), axis=1)
    assert np.mean(predicted == y_test) > 0.85
    histogram = measure.class_histogram(X_test)  # the sample is balanced: 10% each
    assert histogram.sum() == pytest.approx(1.0) and histogram.min() > 0.05
    real, other = measure.features(X_test), measure.features(X_train[:500])
    noise = measure.features(np.random.default_rng(1).random((500, 28, 28)))
    assert measure.frechet_distance(real, other) < measure.frechet_distance(real, noise) / 5
    shirts = measure.class_histogram(X_test[y_test == 6])  # one class only: the histogram says
    assert np.argmax(shirts) == 6 or shirts[6] > 0.5


def test_compare_puts_the_data_floor_first_at_equal_sample_sizes():
    (X_train, _), (X_test, _) = load_sample()
    noise = np.random.default_rng(2).random((400, 28, 28))
    found = measure.compare({"noise": noise, "copies": X_train[:400]}, X_train, X_test,
                            n=300, n_reference=1_000)
    assert list(found) == [measure.DATA, "noise", "copies"]
    reference_features = measure.features(X_train[:1_000])
    assert found["noise"] == pytest.approx(measure.frechet_distance(
        measure.features(noise[:300]), reference_features))  # only the first n images
    assert found[measure.DATA] == pytest.approx(measure.frechet_distance(
        measure.features(X_test[:300]), reference_features))
    assert found["copies"] < found[measure.DATA] < found["noise"] / 5
