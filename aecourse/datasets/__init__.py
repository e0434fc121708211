"""Data sets of the course: Fashion-MNIST and the 3-D toy data."""

from .download import DownloadError
from .fashion_mnist import (
    CLASS_NAMES,
    SampleDataWarning,
    load_fashion_mnist,
    load_sample,
    scale_and_split,
)
from .idx import DataError
from .toy import make_plane_data
from .weights import shipped_weights

__all__ = [
    "CLASS_NAMES",
    "DataError",
    "DownloadError",
    "SampleDataWarning",
    "load_fashion_mnist",
    "load_sample",
    "make_plane_data",
    "scale_and_split",
    "shipped_weights",
]
