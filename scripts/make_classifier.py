"""Train the course's Fashion-MNIST classifier once and ship its weights (aecourse.measure).

Usage: python scripts/make_classifier.py [SOURCE_DIR]

SOURCE_DIR holds the four IDX files of the full data set (default: $AECOURSE_DATA, else
../shared/data/fashion-mnist). Trains aecourse.measure.build_classifier() on the first 55,000
training images (seed 42, Adam, 6 epochs, batch 128), keeps the last 5,000 for validation,
and writes aecourse/datasets/data/fashion_classifier.weights.h5 and, beside it,
fashion_classifier.md: the test accuracy, the data's own Fréchet distance (the validation
images against 10,000 training images: the floor a generator can hope for), the class
histogram of the test images, and the versions and time of the run.
"""

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "aecourse" / "datasets" / "data"
SEED, EPOCHS, BATCH = 42, 6, 128


def main(source: Path) -> None:
    import keras
    import tensorflow as tf

    from aecourse import measure
    from aecourse.datasets.fashion_mnist import _read_folder

    (X_train, y_train), (X_test, y_test) = _read_folder(source)
    X_train, X_test = X_train / np.float32(255), X_test / np.float32(255)
    X_valid, y_valid = X_train[55_000:], y_train[55_000:]
    X_train, y_train = X_train[:55_000], y_train[:55_000]
    keras.utils.set_random_seed(SEED)
    model = measure.build_classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(X_train, y_train, epochs=EPOCHS, batch_size=BATCH,
              validation_data=(X_valid, y_valid), verbose=2)
    seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(X_test, y_test, verbose=0)
    OUT.mkdir(parents=True, exist_ok=True)
    shipped = measure.build_classifier()  # the weights alone, without the optimizer's state
    shipped.set_weights(model.get_weights())
    shipped.save_weights(OUT / measure.WEIGHTS)
    measure.classifier.cache_clear()
    floor = measure.frechet_distance(measure.features(X_valid),
                                     measure.features(X_train[:10_000]))
    histogram = measure.class_histogram(X_test)
    (OUT / "fashion_classifier.md").write_text(
        "# The course's Fashion-MNIST classifier\n\n"
        f"Made by `python scripts/make_classifier.py` from {source.name}/ (the four IDX "
        f"files), seed {SEED}, {EPOCHS} epochs, batch {BATCH}, Adam, on 55,000 training "
        f"images; {seconds:.0f} s on {os.cpu_count()} CPU cores.\n\n"
        f"- test accuracy (10,000 images): **{accuracy:.4f}**\n"
        f"- Fréchet distance of the data itself (5,000 validation images against 10,000 "
        f"training images): **{floor:.3f}**\n"
        f"- class histogram of the test images: {np.round(histogram, 3).tolist()}\n"
        f"- TensorFlow {tf.__version__}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}\n")
    print(f"test accuracy {accuracy:.4f}; data's own Fréchet distance {floor:.3f}; "
          f"weights in {OUT / measure.WEIGHTS}")


if __name__ == "__main__":
    default = os.environ.get("AECOURSE_DATA") or ROOT.parent / "shared" / "data" / "fashion-mnist"
    main(Path(sys.argv[1] if len(sys.argv) > 1 else default))
