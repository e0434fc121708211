"""Regenerate the bundled Fashion-MNIST sample from a full copy of the data set.

Usage: python scripts/make_fashion_sample.py [SOURCE_DIR]

SOURCE_DIR holds the four standard IDX files (default: ../shared/data/fashion-mnist). The sample
takes the first 300 training and first 50 test images of each class and interleaves the
classes (0, 1, ..., 9, 0, 1, ...), so it is balanced, reproducible, and any slice of it (such as
the last twelfth held out for validation) is balanced too.
"""

import sys
from pathlib import Path

import numpy as np

from aecourse.datasets.fashion_mnist import SAMPLE, _read_folder

PER_CLASS = {"train": 300, "test": 50}


def balanced(X, y, per_class):
    by_class = np.stack([np.flatnonzero(y == c)[:per_class] for c in range(10)])
    keep = by_class.T.ravel()  # round robin over the classes
    return X[keep], y[keep]


def main(source):
    (X_train, y_train), (X_test, y_test) = _read_folder(Path(source))
    X_train, y_train = balanced(X_train, y_train, PER_CLASS["train"])
    X_test, y_test = balanced(X_test, y_test, PER_CLASS["test"])
    out = Path(__file__).resolve().parents[1] / "aecourse" / "datasets" / "data" / SAMPLE
    np.savez_compressed(out, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    print(f"wrote {out} ({out.stat().st_size:,} bytes): "
          f"{len(X_train)} train, {len(X_test)} test images")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/fashion-mnist")
