"""One measure for every generator of the course: images judged by a small Fashion-MNIST
classifier trained once (``scripts/make_classifier.py``; its weights ship with the package).

- :func:`frechet_distance` of the classifier's features (the 128 units before its output)
  between generated and real images: the Fréchet Inception Distance's recipe, with a
  Fashion-MNIST classifier in place of Inception. 0 for identical feature statistics; the
  data's own value (a held-out split against the training split) is the floor a generator
  can hope for, since two samples of the same data never score 0.
- :func:`class_histogram`: the share of generated images the classifier puts in each class;
  a generator that dropped a class shows it here.

In a notebook::

    from aecourse import measure
    fd = measure.frechet_distance(measure.features(generated), measure.features(X_valid))
    fds = measure.compare({"VAE": generated}, X_train, X_valid)  # with the data's floor

:func:`compare` is the lessons' one convention: ``SAMPLE`` images of each generator against
``REFERENCE`` training images, and the floor: ``SAMPLE`` held-out images against the same ones.
The distance shrinks as samples grow, so numbers are comparable only at equal sizes.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

SAMPLE = 2_000  # images of each generator (and held-out images) that lessons compare
REFERENCE = 5_000  # training images they are compared with
DATA = "data (held-out images)"  # the floor's name in compare()'s result
WEIGHTS = "fashion_classifier.weights.h5"  # in aecourse/datasets/data: scripts/make_classifier.py
FEATURES = "features"  # the layer whose outputs are compared


def build_classifier():
    """The classifier's architecture (untrained): two convolution blocks, 128 features."""
    import keras

    inputs = keras.Input((28, 28))
    x = keras.layers.Reshape((28, 28, 1))(inputs)
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(128, activation="relu", name=FEATURES)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="fashion_classifier")


@functools.lru_cache(maxsize=1)
def classifier():
    """The trained classifier (its weights loaded once); inputs are images in [0, 1]."""
    model = build_classifier()
    with resources.as_file(resources.files("aecourse.datasets") / "data" / WEIGHTS) as path:
        if not path.is_file():
            raise FileNotFoundError(f"no classifier weights at {path}: run "
                                    "scripts/make_classifier.py")
        model.load_weights(path)
    return model


def _images(images) -> np.ndarray:
    """``images`` as float32 in [0, 1], shape (n, 28, 28): uint8 pixels are scaled."""
    array = np.asarray(images)
    if array.ndim == 2 and array.shape[1] == 784:
        array = array.reshape(-1, 28, 28)
    if array.ndim != 3 or array.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 784), got {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def features(images, batch_size: int = 500) -> np.ndarray:
    """The classifier's 128 features of each image, shape (n, 128)."""
    import keras

    model = classifier()
    head = keras.Model(model.inputs, model.get_layer(FEATURES).output)
    return np.asarray(head.predict(_images(images), batch_size=batch_size, verbose=0),
                      dtype=np.float64)


def class_histogram(images, batch_size: int = 500) -> np.ndarray:
    """The share of ``images`` the classifier puts in each of the 10 classes."""
    probabilities = classifier().predict(_images(images), batch_size=batch_size, verbose=0)
    counts = np.bincount(np.argmax(probabilities, axis=1), minlength=10)
    return counts / max(counts.sum(), 1)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to the rows of ``a`` and of ``b``:
    ``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.

    The trace of the root is taken as the sum of the square roots of the eigenvalues of
    ``S_a^(1/2) S_b S_a^(1/2)``, a symmetric matrix with the same eigenvalues as ``S_a S_b``:
    no complex parts, and singular covariances need no special care."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two sets of feature vectors of one size, got {a.shape} and "
                         f"{b.shape}")
    if min(len(a), len(b)) < 2:
        raise ValueError("each set needs at least 2 vectors to estimate a covariance")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    half = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(half @ cov_b @ half)
    root_trace = np.sum(np.sqrt(np.clip(middle, 0, None)))
    distance = (np.sum((mean_a - mean_b) ** 2)
                + np.trace(cov_a) + np.trace(cov_b) - 2 * root_trace)
    return float(max(distance, 0.0))


def compare(generated: dict, train, held_out, n: int = SAMPLE,
            n_reference: int = REFERENCE) -> dict[str, float]:
    """The Fréchet distance of each of ``generated`` (name -> images) to the first
    ``n_reference`` images of ``train``, first ``n`` of each set; the first entry, ``DATA``,
    is the data's own value: the first ``n`` images of ``held_out``."""
    reference = features(np.asarray(train)[:n_reference])
    sets = {DATA: held_out, **generated}
    return {name: frechet_distance(features(np.asarray(images)[:n]), reference)
            for name, images in sets.items()}
