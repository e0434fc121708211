"""Fashion-MNIST: offline-safe loading with verified downloads and a bundled real sample.

Where the data comes from, in order:

1. ``data_dir`` or the ``AECOURSE_DATA`` environment variable: a folder holding the four
   standard files (``.gz`` or uncompressed), validated by content; missing files are downloaded
   into it.
2. A Keras cache the user already has (``$KERAS_HOME/datasets/fashion-mnist`` or
   ``~/.keras/datasets/fashion-mnist``), when complete.
3. A download into the aecourse cache (``$XDG_CACHE_HOME/aecourse/fashion-mnist``), from the
   mirrors in turn, each file checked against its published SHA-256.
4. Offline with nothing cached: the real sample bundled with this package (3,000 training and
   500 test images, balanced across classes), with one warning.

Set ``AECOURSE_OFFLINE=1`` to never try the network.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from ..config import env
from ..config.text import first_line
from .download import DownloadError, download
from .idx import DataError, load_idx

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

#: file name -> (expected shape, published SHA-256 of the ``.gz`` file)
FILES = {
    "train-images-idx3-ubyte.gz": (
        (60000, 28, 28), "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
    "train-labels-idx1-ubyte.gz": (
        (60000,), "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
    "t10k-images-idx3-ubyte.gz": (
        (10000, 28, 28), "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
    "t10k-labels-idx1-ubyte.gz": (
        (10000,), "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
}

MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)

SAMPLE = "fashion_mnist_sample.npz"
PARSED = "fashion-mnist-parsed.npz"
HOW_TO_GET = (
    "connect to the internet once, or set AECOURSE_DATA to a folder holding the four "
    "Fashion-MNIST files"
)


class SampleDataWarning(UserWarning):
    """The full data set was unavailable; the bundled sample is used instead."""


def cache_home() -> Path:
    """Return the folder where aecourse keeps downloaded and parsed data."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aecourse"


def keras_cache_dir() -> Path:
    """Return the folder where ``keras.datasets.fashion_mnist`` keeps its files."""
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "fashion-mnist"


def _find(folder: Path, name: str) -> Path | None:
    """Return the compressed or uncompressed file ``name`` in ``folder``, if present."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _complete(folder: Path) -> bool:
    return all(_find(folder, name) for name in FILES)


def _parsed_cache_path(folder: Path) -> Path:
    """Where the parsed arrays of ``folder`` are cached.

    Beside the files in a folder aecourse downloaded into; in the aecourse cache for any other
    folder, which may be shared or read-only (write bits do not stop root).
    """
    if folder == cache_home() / "fashion-mnist":
        return folder / PARSED
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return cache_home() / "parsed" / f"{key}.npz"


def _stamp(paths: list[Path]) -> np.ndarray:
    """Size and modification time of the source files: a changed file invalidates the cache."""
    return np.array([[p.stat().st_size, p.stat().st_mtime_ns] for p in paths], dtype=np.int64)


def _read_folder(folder: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]:
    """Read and validate the four files in ``folder``, through a cache of parsed arrays."""
    paths = [_find(folder, name) for name in FILES]
    stamp = _stamp(paths)
    cache = _parsed_cache_path(folder)
    if cache.is_file():
        try:
            with np.load(cache) as npz:
                if np.array_equal(npz["stamp"], stamp):
                    return ((npz["X_train"], npz["y_train"]), (npz["X_test"], npz["y_test"]))
        except (OSError, ValueError, KeyError):
            pass  # an unreadable cache is rebuilt below
    X_train, y_train, X_test, y_test = (
        load_idx(path, shape) for path, (shape, _) in zip(paths, FILES.values(), strict=True)
    )
    for path, labels in ((paths[1], y_train), (paths[3], y_test)):
        if labels.max() > 9:
            raise DataError(
                f"{path}: labels must be 0-9, found {int(labels.max())}. "
                "Is this a Fashion-MNIST label file? Replace it with the original."
            )
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".part.npz")
        np.savez(tmp, stamp=stamp, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
        os.replace(tmp, cache)
    except OSError:
        pass  # caching is an optimisation only
    return (X_train, y_train), (X_test, y_test)


def _download_all(folder: Path, mirrors, progress: bool) -> None:
    for name, (_, sha256) in FILES.items():
        if _find(folder, name) is None:
            download(name, folder, mirrors, sha256, progress=progress)


def load_sample() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return the bundled real sample of Fashion-MNIST (3,000 train, 500 test images)."""
    with resources.files("aecourse.datasets").joinpath("data", SAMPLE).open("rb") as f:
        npz = np.load(f)
        return (npz["X_train"], npz["y_train"]), (npz["X_test"], npz["y_test"])


def data_folder() -> Path | None:
    """The folder :func:`load_fashion_mnist` reads the full data from here without
    downloading: ``$AECOURSE_DATA``, or a complete cache; None when there is none."""
    named = os.environ.get(env.DATA)
    if named:
        return Path(named).expanduser() if Path(named).expanduser().is_dir() else None
    for folder in (keras_cache_dir(), cache_home() / "fashion-mnist"):
        if _complete(folder):
            return folder
    return None


def load_fashion_mnist(data_dir=None, download=True, mirrors=MIRRORS, progress=True):
    """Load Fashion-MNIST with the contract of ``keras.datasets.fashion_mnist.load_data()``.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder holding (or to receive) the four IDX files. Defaults to ``$AECOURSE_DATA``.
    download : bool
        Whether missing files may be downloaded. ``AECOURSE_OFFLINE=1`` forces False.
    mirrors : sequence of str
        Base URLs tried in turn.
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : uint8 arrays
        60000x28x28, 60000, 10000x28x28 and 10000 for the full set; fewer images when only the
        bundled sample could be had (a ``SampleDataWarning`` says so).

    Raises
    ------
    DataError
        A file that is present is truncated, corrupt or not the expected one.
    """
    data_dir = data_dir or os.environ.get(env.DATA)
    if os.environ.get(env.OFFLINE, "").strip() not in ("", "0"):
        download = False
    if data_dir:
        folder = Path(data_dir).expanduser()
    elif _complete(keras_cache_dir()):
        folder = keras_cache_dir()
    else:
        folder = cache_home() / "fashion-mnist"
    error = "downloads are switched off"
    if not _complete(folder) and download:
        try:
            _download_all(folder, mirrors, progress)
        except DownloadError as err:
            error = first_line(err, None, last=True)
    if _complete(folder):
        return _read_folder(folder)
    warnings.warn(
        f"Full Fashion-MNIST not found in {folder} ({error}); using the bundled sample of "
        f"3,000 training and 500 test images. To get the full set, {HOW_TO_GET}.",
        SampleDataWarning,
        stacklevel=2,
    )
    return load_sample()


def scale_and_split(X_train, y_train, X_test, y_test, n_valid=None):
    """Scale images to floats in [0, 1] and hold out the last ``n_valid`` training images.

    ``n_valid`` defaults to one twelfth of the training set: the usual 5,000 of 60,000.

    Returns
    -------
    (X_train, y_train), (X_valid, y_valid), (X_test, y_test)
    """
    n_valid = len(X_train) // 12 if n_valid is None else n_valid
    if not 0 < n_valid < len(X_train):
        raise ValueError(f"n_valid must be between 1 and {len(X_train) - 1}, got {n_valid}")
    X_train = np.asarray(X_train, dtype=np.float32) / 255.0
    X_test = np.asarray(X_test, dtype=np.float32) / 255.0
    return (
        (X_train[:-n_valid], y_train[:-n_valid]),
        (X_train[-n_valid:], y_train[-n_valid:]),
        (X_test, y_test),
    )
