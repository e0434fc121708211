"""Every plot renders to PNG headless and returns a Figure."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from aecourse import plotting
from aecourse.datasets import load_sample, make_plane_data

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def sample():
    (X, y), _ = load_sample()
    return X[:200] / 255.0, y[:200]


def png(fig):
    assert isinstance(fig, Figure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    matplotlib.pyplot.close(fig)
    data = buf.getvalue()
    assert data.startswith(b"\x89PNG") and len(data) > 2000
    return data


def test_image_grid(sample):
    X, y = sample
    png(plotting.plot_image_grid(X[:12], y[:12], n_cols=6, title="grid"))
    png(plotting.plot_image_grid(X[:5].reshape(5, 784)))


def test_reconstructions(sample):
    X, _ = sample
    fig = plotting.plot_reconstructions(X[:6], X[:6] * 0.5, n=4)
    assert len(fig.axes) == 8
    png(fig)


def test_learning_curves():
    history = {"loss": [0.05, 0.03, 0.02], "val_loss": [0.06, 0.04, 0.03]}
    fig = plotting.plot_learning_curves(history)
    assert len(fig.axes[0].lines) == 2
    png(fig)
    with pytest.raises(KeyError, match="accuracy"):
        plotting.plot_learning_curves(history, metrics=("accuracy",))


def test_codings_scatter_has_one_entry_per_class(sample):
    _, y = sample
    codings = np.random.default_rng(0).normal(size=(len(y), 2))
    fig = plotting.plot_codings_2d(codings, y)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == [plotting.CLASS_NAMES[c] for c in np.unique(y)]
    png(fig)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plotting.plot_codings_2d(np.zeros((3, 3)), [0, 1, 2])


def test_tsne(sample):
    X, y = sample
    embedded = plotting.tsne_2d(X.reshape(len(X), -1), n=100)
    assert embedded.shape == (100, 2)
    png(plotting.plot_tsne(X.reshape(len(X), -1), y, n=60))


def test_3d_data_with_plane_and_codings():
    X = make_plane_data(60)
    components = np.linalg.svd(X)[2][:2]
    png(plotting.plot_3d_data(X, components=components, codings=X @ components.T))
    png(plotting.plot_3d_data(X))
