"""Figures of the course. Every function returns a matplotlib Figure and never calls ``show``."""

from __future__ import annotations

import numpy as np

from .datasets.fashion_mnist import CLASS_NAMES


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _as_images(images):
    images = np.asarray(images)
    if images.ndim == 2:  # flat vectors: assume square images
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(-1, side, side)
    return images


def plot_image_grid(images, labels=None, class_names=CLASS_NAMES, n_cols=10, title=None):
    """Show images in a grid, with their class names as titles when ``labels`` are given."""
    images = _as_images(images)
    n_rows = int(np.ceil(len(images) / n_cols))
    fig, axes = _plt().subplots(n_rows, n_cols, figsize=(1.2 * n_cols, 1.4 * n_rows),
                                squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="binary")
            if labels is not None:
                ax.set_title(class_names[int(labels[i])], fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_reconstructions(originals, reconstructions, n=8, title=None):
    """Show ``n`` original images (top row) over their reconstructions (bottom row)."""
    originals, reconstructions = _as_images(originals)[:n], _as_images(reconstructions)[:n]
    n = len(originals)
    fig, axes = _plt().subplots(2, n, figsize=(1.2 * n, 2.6), squeeze=False)
    for i in range(n):
        for row, images in enumerate((originals, reconstructions)):
            axes[row, i].imshow(np.clip(images[i], 0, 1), cmap="binary", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("original", fontsize=8, loc="left")
    axes[1, 0].set_title("reconstruction", fontsize=8, loc="left")
    if title:
        fig.suptitle(title)
    return fig


def plot_learning_curves(history, metrics=("loss",), title=None):
    """Plot training (and validation, when present) curves from a Keras ``History`` or dict."""
    logs = getattr(history, "history", history)
    fig, axes = _plt().subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        if metric not in logs:
            raise KeyError(f"no {metric!r} in the history; it has {sorted(logs)}")
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], "o-", label=f"training {metric}")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], "s--", label=f"validation {metric}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_codings_2d(codings, labels, class_names=CLASS_NAMES, title=None, ax=None):
    """Scatter 2-D codings with one colour per class and a legend."""
    codings = np.asarray(codings)
    if codings.ndim != 2 or codings.shape[1] != 2:
        raise ValueError(f"codings must have shape (n, 2), got {codings.shape}")
    labels = np.asarray(labels)
    if ax is None:
        fig, ax = _plt().subplots(figsize=(7, 6))
    else:
        fig = ax.figure
    cmap = _plt().get_cmap("tab10")
    for c in np.unique(labels):
        mask = labels == c
        ax.scatter(codings[mask, 0], codings[mask, 1], s=6, color=cmap(int(c) % 10),
                   label=class_names[int(c)])
    ax.legend(markerscale=3, fontsize=8, loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return fig


def tsne_2d(codings, n=2000, random_state=42, perplexity=30.0):
    """Embed the first ``n`` codings in 2-D with scikit-learn's t-SNE (PCA initialised)."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    codings = np.asarray(codings, dtype=np.float32)[:n]
    perplexity = min(perplexity, (len(codings) - 1) / 3)
    tsne = TSNE(n_components=2, init="pca", learning_rate="auto", perplexity=perplexity,
                random_state=random_state)
    # One thread: on a busy CPU (TensorFlow's threads, a grading batch) t-SNE's OpenMP threads
    # were seen to run 30x slower than a single thread, which finishes 2,000 points in seconds.
    with threadpool_limits(1):
        return tsne.fit_transform(codings)


def plot_tsne(codings, labels, n=2000, class_names=CLASS_NAMES, random_state=42, title=None):
    """t-SNE of the first ``n`` codings, coloured by class."""
    embedded = tsne_2d(codings, n=n, random_state=random_state)
    return plot_codings_2d(embedded, np.asarray(labels)[:n], class_names,
                           title=title or f"t-SNE of {len(embedded)} codings")


def plot_3d_data(X, components=None, codings=None, title=None):
    """Show 3-D points, optionally with the plane spanned by two ``components``.

    Parameters
    ----------
    X : array of shape (n, 3)
        The (centred) points.
    components : array of shape (2, 3), optional
        Two vectors spanning the fitted plane (e.g. ``PCA(2).components_`` or the rows of a
        linear encoder's kernel transposed); the plane is drawn through the mean.
    codings : array of shape (n, 2), optional
        The 2-D projection of the points, drawn in a second panel.
    """
    X = np.asarray(X)
    plt = _plt()
    fig = plt.figure(figsize=(11 if codings is not None else 6, 5))
    ax = fig.add_subplot(1, 2 if codings is not None else 1, 1, projection="3d")
    ax.scatter(X[:, 0], X[:, 1], X[:, 2], s=12, c="tab:blue", depthshade=True)
    if components is not None:
        u, v = np.asarray(components, dtype=float)[:2]
        s = np.linspace(-1, 1, 10) * np.abs(X).max()
        a, b = np.meshgrid(s, s)
        plane = X.mean(axis=0) + a[..., None] * u / np.linalg.norm(u) \
            + b[..., None] * v / np.linalg.norm(v)
        ax.plot_surface(plane[..., 0], plane[..., 1], plane[..., 2], alpha=0.2, color="tab:orange")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("$x_3$")
    default = "3-D data" + (" and fitted plane" if components is not None else "")
    ax.set_title(title if title and codings is None else default)
    if codings is not None:
        codings = np.asarray(codings)
        ax2 = fig.add_subplot(1, 2, 2)
        ax2.scatter(codings[:, 0], codings[:, 1], s=12, c="tab:blue")
        ax2.set_xlabel("$z_1$")
        ax2.set_ylabel("$z_2$")
        ax2.set_aspect("equal", adjustable="datalim")
        ax2.grid(True, alpha=0.3)
        ax2.set_title("2-D codings")
        fig.subplots_adjust(wspace=0.3)  # keep the 3-D panel's labels off the 2-D panel
        if title:
            fig.suptitle(title)
    return fig
