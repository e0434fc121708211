"""Teaching quality: the lessons' recipes re-run with fixed seeds, and their figures.

Each function re-implements one lesson's demo compactly (same architecture, optimizer,
epochs, batch size and seeds as the solution notebook) and returns
``{"rows": [[metric, value, target, verdict], ...], "data": {...}}``. ``quick`` shrinks the
training (1 epoch, 5,000 images) so the code paths run in seconds; its numbers are not the
lessons' figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS  # noqa: E402

TEXTBOOK = {"stacked_val": 0.0132, "tied_val": 0.0133, "greedy_val": 0.0133}
QUICK_TRAIN = 5_000
SEED = 42


def epochs_text(n: int) -> str:
    return f"{n} epoch" + ("" if n == 1 else "s")


def verdict(ok) -> str:
    return "" if ok is None else ("met" if ok else "MISSED")


def _mse_row(label, value, reference, quick):
    """A row comparing an MSE with the textbook's; no verdict on quick (tiny) budgets."""
    return [label, f"{value:.4f}", f"<= {reference} (textbook)",
            "" if quick else verdict(value <= reference)]


def _setup():
    import aecourse

    tf = aecourse.quiet_tensorflow()
    import keras

    return tf, keras


def load_data(quick: bool):
    """Fashion-MNIST as the lessons use it: scaled, the last 5,000 training images held out."""
    from aecourse import datasets

    (X_full, y_full), (X_test, y_test) = datasets.load_fashion_mnist(progress=False)
    (X_train, y_train), (X_valid, y_valid), (X_test, y_test) = datasets.scale_and_split(
        X_full, y_full, X_test, y_test)
    n = min(QUICK_TRAIN if quick else 55_000, len(X_train))
    return (X_train[:n], y_train[:n]), (X_valid, y_valid), (X_test, y_test)


def epoch_timer(keras):
    """A Keras callback recording the wall time of each epoch's training pass (``.times``)."""

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self._end = time.perf_counter()  # so the validation pass is left out

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(self._end - self._start)

    return EpochTimer()


# ---------------------------------------------------------------------------------------------
# Lesson 2: PCA with a linear autoencoder


def pca(quick: bool) -> dict:
    """Lesson 2: a 3-2-3 linear autoencoder (SGD, lr 0.5) on 60 points near a plane vs PCA."""
    _, keras = _setup()
    import numpy as np
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    import aecourse
    from aecourse import datasets

    epochs = 40 if quick else 500
    X = datasets.make_plane_data(60)
    aecourse.set_seed(SEED)
    encoder = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    decoder = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3)])
    autoencoder = keras.Sequential([encoder, decoder])
    autoencoder.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.5))
    history = autoencoder.fit(X, X, epochs=epochs, verbose=0)

    model = PCA(n_components=2).fit(X)
    mse_pca = float(np.mean((X - model.inverse_transform(model.transform(X))) ** 2))
    mse_ae = float(np.mean((X - keras.ops.convert_to_numpy(autoencoder(X))) ** 2))
    origin = keras.ops.convert_to_numpy(decoder(np.zeros((1, 2), dtype="float32")))
    directions = keras.ops.convert_to_numpy(decoder(np.eye(2, dtype="float32"))) - origin
    decoder_angle = float(np.degrees(subspace_angles(directions.T, model.components_.T).max()))
    w_enc = keras.ops.convert_to_numpy(encoder.layers[-1].kernel)
    encoder_angle = float(np.degrees(subspace_angles(w_enc, model.components_.T).max()))
    data = {"epochs": epochs, "decoder_angle_deg": decoder_angle,
            "encoder_angle_deg": encoder_angle, "mse_ratio": mse_ae / mse_pca,
            "mse_autoencoder": mse_ae, "mse_pca": mse_pca,
            "final_training_loss": float(history.history["loss"][-1])}
    lesson = not quick
    rows = [
        [f"PCA AE ({epochs_text(epochs)}): largest principal angle, decoder plane vs PCA",
         f"{decoder_angle:.2f} deg", "about 0.4 deg (lesson 2)",
         verdict(decoder_angle <= 1.0) if lesson else ""],
        ["PCA AE: largest principal angle, encoder columns vs PCA", f"{encoder_angle:.2f} deg",
         "about 3 deg (lesson 2)", ""],
        ["PCA AE: reconstruction MSE, autoencoder / PCA",
         f"{mse_ae / mse_pca:.4f} ({mse_ae:.5f} / {mse_pca:.5f})", "about 1.003 (lesson 2)",
         verdict(mse_ae / mse_pca <= 1.01) if lesson else ""],
    ]
    return {"rows": rows, "data": data}


# ---------------------------------------------------------------------------------------------
# Lesson 3: the stacked autoencoder (and its encoder, reused by the pretraining sweep)


def _stacked_model(keras):
    encoder = keras.Sequential([
        keras.Input(shape=(28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(30, activation="relu"),
    ], name="encoder")
    decoder = keras.Sequential([
        keras.Input(shape=(30,)), keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(28 * 28), keras.layers.Reshape((28, 28)),
    ], name="decoder")
    autoencoder = keras.Sequential([encoder, decoder], name="stacked_autoencoder")
    autoencoder.compile(loss="mse", optimizer="nadam")
    return encoder, decoder, autoencoder


def _encoder_cache(quick: bool) -> Path:
    return RESULTS / f"stacked_encoder{'-quick' if quick else ''}.weights.h5"


def train_stacked(quick: bool, data=None):
    """Train lesson 3's 784-100-30-100-784 autoencoder (Nadam, MSE, batch 32, seed 42).

    Returns (encoder, autoencoder, history, epoch times). Saves the encoder's weights for the
    pretraining sweep.
    """
    _, keras = _setup()
    import aecourse

    (X_train, _), (X_valid, _), _ = data or load_data(quick)
    epochs = 1 if quick else 20
    aecourse.set_seed(SEED)
    encoder, _, autoencoder = _stacked_model(keras)
    timer = epoch_timer(keras)
    history = autoencoder.fit(X_train, X_train, epochs=epochs, callbacks=[timer],
                              validation_data=(X_valid, X_valid), verbose=0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    encoder.save_weights(_encoder_cache(quick))
    return encoder, autoencoder, history, timer.times


def stacked(quick: bool) -> dict:
    """Lesson 3: validation and test MSE after 20 epochs, baselines, epoch time."""
    import numpy as np
    from sklearn.decomposition import PCA

    data = load_data(quick)
    (X_train, _), (X_valid, _), (X_test, _) = data
    _, autoencoder, history, times = train_stacked(quick, data)
    epochs = len(times)
    val = float(history.history["val_loss"][-1])
    test = float(autoencoder.evaluate(X_test, X_test, verbose=0))
    mse_mean = float(np.mean((X_valid - X_train.mean(axis=0)) ** 2))
    model = PCA(n_components=30, svd_solver="randomized", random_state=SEED)
    model.fit(X_train.reshape(len(X_train), -1))
    flat = X_valid.reshape(len(X_valid), -1)
    mse_pca = float(np.mean((flat - model.inverse_transform(model.transform(flat))) ** 2))
    per_epoch = float(np.median(times))
    per_55k = per_epoch * 55_000 / len(X_train)
    out = {"epochs": epochs, "n_train": len(X_train), "val_mse": val, "test_mse": test,
           "val_mse_mean_image": mse_mean, "val_mse_pca30": mse_pca,
           "epoch_times_s": times, "epoch_s_median": per_epoch, "epoch_s_per_55k": per_55k,
           "parameters": autoencoder.count_params()}
    size = f"{epochs_text(epochs)} on {len(X_train):,} images"
    rows = [
        _mse_row(f"stacked AE ({size}): validation MSE", val, TEXTBOOK["stacked_val"], quick),
        [f"stacked AE ({size}): test MSE", f"{test:.4f}", "", ""],
        ["stacked AE baselines: mean image / PCA(30), validation MSE",
         f"{mse_mean:.4f} / {mse_pca:.4f}", "", ""],
        ["stacked AE epoch time (55,000 images, batch 32)",
         f"{per_55k:.1f} s" + ("" if len(X_train) == 55_000 else
                               f" (scaled from {per_epoch:.1f} s on {len(X_train):,})"),
         "", ""],
    ]
    return {"rows": rows, "data": out}


# ---------------------------------------------------------------------------------------------
# Lesson 4: tied weights


def _tied_model(keras):
    class DenseTranspose(keras.layers.Layer):
        def __init__(self, dense, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.dense = dense
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            self.bias = self.add_weight(name="bias", shape=(self.dense.kernel.shape[0],),
                                        initializer="zeros")

        def call(self, inputs):
            z = keras.ops.matmul(inputs, keras.ops.transpose(self.dense.kernel))
            return self.activation(z + self.bias)

    dense = [keras.layers.Dense(n, activation="relu") for n in (100, 30)]
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *dense])
    decoder = keras.Sequential([keras.Input((30,)),
                                DenseTranspose(dense[1], activation="relu"),
                                DenseTranspose(dense[0]), keras.layers.Reshape((28, 28))])
    return keras.Sequential([encoder, decoder], name="tied_autoencoder")


def _untied_model(keras):
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                keras.layers.Dense(100, activation="relu"),
                                keras.layers.Dense(30, activation="relu")])
    decoder = keras.Sequential([keras.Input((30,)), keras.layers.Dense(100, activation="relu"),
                                keras.layers.Dense(784), keras.layers.Reshape((28, 28))])
    return keras.Sequential([encoder, decoder], name="untied_autoencoder")


def tied(quick: bool) -> dict:
    """Lesson 4: tied vs untied 784-100-30-100-784, 10 epochs each."""
    _, keras = _setup()
    import aecourse

    (X_train, _), (X_valid, _), _ = load_data(quick)
    epochs = 1 if quick else 10
    out, rows = {"epochs": epochs, "n_train": len(X_train)}, []
    for name, build in (("tied", _tied_model), ("untied", _untied_model)):
        aecourse.set_seed(SEED)
        model = build(keras)
        model.compile(loss="mse", optimizer="nadam")
        start = time.perf_counter()
        history = model.fit(X_train, X_train, epochs=epochs, verbose=0,
                            validation_data=(X_valid, X_valid))
        out[name] = {"parameters": model.count_params(),
                     "val_mse": float(model.evaluate(X_valid, X_valid, verbose=0)),
                     "train_mse": float(history.history["loss"][-1]),
                     "fit_s": time.perf_counter() - start}
    t, u = out["tied"], out["untied"]
    size = f"{epochs_text(epochs)} on {len(X_train):,} images"
    rows = [
        ["tied / untied AE: parameters", f"{t['parameters']:,} / {u['parameters']:,}",
         "82,414 / 163,814", verdict((t["parameters"], u["parameters"]) == (82_414, 163_814))],
        _mse_row(f"tied AE ({size}): validation MSE", t["val_mse"], TEXTBOOK["tied_val"], quick),
        [f"untied AE ({size}): validation MSE", f"{u['val_mse']:.4f}",
         "about 0.0142 (lesson 4)", ""],
    ]
    return {"rows": rows, "data": out}


# ---------------------------------------------------------------------------------------------
# Lesson 5: greedy layer-wise training


def _shallow(keras, X, n_hidden, X_valid, epochs, output_activation=None):
    """Lesson 5's ``train_shallow_autoencoder`` (seed 42, Nadam, MSE, batch 32)."""
    import numpy as np

    keras.utils.set_random_seed(SEED)
    shape = tuple(X.shape[1:])
    encoder = keras.Sequential([keras.Input(shape=shape), keras.layers.Flatten(),
                                keras.layers.Dense(n_hidden, activation="relu")])
    decoder = keras.Sequential([keras.Input(shape=(n_hidden,)),
                                keras.layers.Dense(int(np.prod(shape)),
                                                   activation=output_activation),
                                keras.layers.Reshape(shape)])
    autoencoder = keras.Sequential([encoder, decoder])
    autoencoder.compile(loss="mse", optimizer="nadam")
    history = autoencoder.fit(X, X, epochs=epochs, batch_size=32,
                              validation_data=(X_valid, X_valid), verbose=0)
    return encoder, decoder, history


def greedy(quick: bool) -> dict:
    """Lesson 5: stage 1, stage 2, the stack before/after fine-tuning, end to end."""
    _, keras = _setup()
    import numpy as np

    (X_train, _), (X_valid, _), (X_test, _) = load_data(quick)
    stage_epochs = 1 if quick else 10
    tune_epochs = 1 if quick else 10
    enc1, dec1, h1 = _shallow(keras, X_train, 100, X_valid, stage_epochs)
    codings = [np.asarray(enc1.predict(X, batch_size=256, verbose=0), dtype=np.float32)
               for X in (X_train, X_valid)]
    enc2, dec2, h2 = _shallow(keras, codings[0], 30, codings[1], stage_epochs,
                              output_activation="relu")
    stack = keras.Sequential([enc1, enc2, dec2, dec1])
    stack.compile(loss="mse", optimizer="nadam")
    before = float(stack.evaluate(X_valid, X_valid, verbose=0))
    h3 = stack.fit(X_train, X_train, epochs=tune_epochs, validation_data=(X_valid, X_valid),
                   verbose=0)
    after = float(h3.history["val_loss"][-1])
    test_after = float(stack.evaluate(X_test, X_test, verbose=0))
    keras.utils.set_random_seed(SEED)
    e2e = keras.Sequential([
        keras.Input(shape=(28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"), keras.layers.Dense(30, activation="relu"),
        keras.layers.Dense(100, activation="relu"), keras.layers.Dense(784),
        keras.layers.Reshape((28, 28))])
    e2e.compile(loss="mse", optimizer="nadam")
    h4 = e2e.fit(X_train, X_train, epochs=stage_epochs + tune_epochs,
                 validation_data=(X_valid, X_valid), verbose=0)
    out = {"stage_epochs": stage_epochs, "fine_tune_epochs": tune_epochs,
           "n_train": len(X_train),
           "stage1_val_mse": float(h1.history["val_loss"][-1]),
           "stage2_val_mse_codings": float(h2.history["val_loss"][-1]),
           "stack_before_val_mse": before, "stack_after_val_mse": after,
           "stack_after_test_mse": test_after,
           "end_to_end_val_mse": float(h4.history["val_loss"][-1])}
    rows = [
        [f"greedy stage 1, 784-100-784 ({epochs_text(stage_epochs)}): validation MSE",
         f"{out['stage1_val_mse']:.4f}", "about 0.0090 (lesson 5)", ""],
        [f"greedy stage 2, 100-30-100 on codings ({epochs_text(stage_epochs)}): validation MSE",
         f"{out['stage2_val_mse_codings']:.4f}", "about 0.050 (lesson 5)", ""],
        ["greedy stack, before fine-tuning: validation MSE", f"{before:.4f}",
         "about 0.026 (lesson 5)", ""],
        _mse_row(f"greedy stack, after fine-tuning ({epochs_text(tune_epochs)}): validation MSE",
                 after, TEXTBOOK["greedy_val"], quick),
        ["greedy stack, after fine-tuning: test MSE", f"{test_after:.4f}", "", ""],
        [f"end to end, same architecture ({epochs_text(stage_epochs + tune_epochs)}): "
         "validation MSE",
         f"{out['end_to_end_val_mse']:.4f}", "about 0.0137 (lesson 5)", ""],
    ]
    return {"rows": rows, "data": out}


# ---------------------------------------------------------------------------------------------
# Pretraining: classifiers on few labels (lesson 3's recipe)


def pretraining(quick: bool) -> dict:
    """Test accuracy with 100-5,000 labels: from scratch vs the stacked AE's encoder.

    Lesson 3's recipe: the same number of gradient steps (batches of 32) for every classifier;
    the frozen encoder's softmax head uses Nadam at 0.01, the others 0.001; the fine-tuned
    encoder is a copy. Reuses the encoder trained by the ``stacked`` section of this run when
    its weights are there, else trains one.
    """
    _, keras = _setup()
    import numpy as np

    import aecourse

    data = load_data(quick)
    (X_train, y_train), _, (X_test, y_test) = data
    labels = [100, 500] if quick else [100, 500, 1_000, 5_000]
    steps = 100 if quick else 1_000
    cache = _encoder_cache(quick)
    encoder = _stacked_model(keras)[0]
    if cache.is_file():
        encoder.load_weights(cache)
        source = f"reused {cache.name}"
    else:
        encoder = train_stacked(quick, data)[0]
        source = "trained here"
    labelled = np.random.default_rng(SEED).permutation(len(X_train))

    def classifier(base, trainable, learning_rate=1e-3):
        base.trainable = trainable
        model = keras.Sequential([base, keras.layers.Dense(10, activation="softmax")])
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      optimizer=keras.optimizers.Nadam(learning_rate=learning_rate))
        return model

    def copy_of(model):
        clone = keras.models.clone_model(model)
        clone.set_weights(model.get_weights())
        return clone

    def accuracy(model, n):
        idx = labelled[:n]
        epochs = int(np.ceil(steps / np.ceil(n / 32)))
        model.fit(X_train[idx], y_train[idx], epochs=epochs, batch_size=32, verbose=0)
        return float(np.mean(model.predict(X_test, verbose=0).argmax(axis=1) == y_test))

    results = {}
    for n in labels:
        aecourse.set_seed(SEED)
        models = {
            "from scratch": classifier(_stacked_model(keras)[0], True),
            "pretrained, frozen": classifier(encoder, False, 1e-2),
            "pretrained, fine-tuned": classifier(copy_of(encoder), True),
        }
        results[n] = {name: accuracy(model, n) for name, model in models.items()}
    plot = _plot(results)
    rows = [[f"pretraining, {n:,} labels: test accuracy, scratch / frozen / fine-tuned",
             " / ".join(f"{acc:.1%}" for acc in r.values()), "pretrained > scratch",
             verdict(max(r["pretrained, frozen"], r["pretrained, fine-tuned"])
                     > r["from scratch"]) if not quick else ""]
            for n, r in results.items()]
    rows.append(["pretraining plot", str(plot.relative_to(RESULTS.parents[1])), "", ""])
    return {"rows": rows, "data": {"steps": steps, "encoder": source, "n_test": len(X_test),
                                   "accuracy": {str(n): r for n, r in results.items()},
                                   "plot": str(plot)}}


def _plot(results) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(results)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in results[labels[0]]:
        ax.plot(labels, [results[n][name] for n in labels], "o-", label=name)
    ax.set_xscale("log")
    ax.set_xticks(labels, [f"{n:,}" for n in labels])
    ax.minorticks_off()
    ax.set_xlabel("number of labelled training images")
    ax.set_ylabel("test accuracy")
    ax.set_title("Classifiers on few labels: pretrained encoder vs from scratch")
    ax.grid(True, alpha=0.3)
    ax.legend()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "pretraining.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
