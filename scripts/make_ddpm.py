"""Train lesson 10's U-Net once on Fashion-MNIST and ship its weights (aecourse.datasets).

Usage: python scripts/make_ddpm.py [SOURCE_DIR] [--steps N]

A CPU cannot train a diffusion model that draws recognisable clothes within a lesson's
budget, so lesson 10 samples from weights trained here. The model, its time embedding, the
cosine schedule, the training step and the DDIM sampler are not copied into this script: they
are the code cells of the solved lesson (solutions/10_diffusion_on_images), picked by their
nbgrader grade_id and executed in one namespace (:func:`lesson_namespace`), so that the lesson
stays the one place where they are written.

SOURCE_DIR holds the four IDX files of the full data set (default: $AECOURSE_DATA, else
../shared/data/fashion-mnist). Trains on the first 55,000 training images scaled to [-1, 1]
(seed 42, batch 64, Adam with a learning rate decayed from 1e-3 to 1e-4, gradients clipped at
norm 1) and keeps an exponential moving average of the weights (decay 0.999), which is what
ships: aecourse/datasets/data/ddpm_unet.weights.h5 and, beside it, ddpm_unet.md with the
settings, the wall time and load of the run, the final loss, and the Fréchet distance and
class histogram of 1,000 DDIM samples against 10,000 training images (with the data's own
distance at the same sample sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "aecourse" / "datasets" / "data"
NAME = "ddpm_unet"
LESSON = ROOT / "solutions" / "10_diffusion_on_images" / "10_diffusion_on_images.ipynb"
# The lesson's cells that define the model and its training, in the order they run.
CELLS = ("setup", "ex1_time_embedding", "ex2_cosine_schedule", "diffusion_settings",
         "demo_unet", "ex3_train_step", "ex4_ddim_step", "demo_samplers")
SEED, STEPS, BATCH, LR, LR_END, EMA = 42, 5_000, 64, 1e-3, 1e-4, 0.999
N_SAMPLES, DDIM_STEPS, N_REFERENCE = 1_000, 50, 10_000


def lesson_cells(path: Path = LESSON, names=CELLS) -> list[str]:
    """The sources of the code cells of the notebook at ``path`` whose nbgrader grade_id is in
    ``names``, in the order of ``names``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    by_id = {}
    for cell in cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell["cell_type"] == "code" and grade_id in names:
            source = cell["source"]
            by_id[grade_id] = "".join(source) if isinstance(source, list) else source
    missing = [name for name in names if name not in by_id]
    if missing:
        raise KeyError(f"{path}: no code cell with grade_id {', '.join(missing)}")
    return [by_id[name] for name in names]


def lesson_namespace(path: Path = LESSON, names=CELLS) -> dict:
    """A namespace in which the cells ``names`` of the lesson have run."""
    namespace: dict = {"__name__": "lesson"}
    for name, source in zip(names, lesson_cells(path, names), strict=True):
        exec(compile(source, f"{path.name}:{name}", "exec"), namespace)
    return namespace


def main(source: Path, steps: int) -> None:
    from aecourse.datasets.fashion_mnist import _read_folder

    lesson = lesson_namespace()
    keras, tf = lesson["keras"], lesson["tf"]
    from aecourse import measure

    (X_train, _), _ = _read_folder(source)
    X_train = X_train / np.float32(255)
    x0_all = (X_train[:55_000] * 2 - 1).astype(np.float32)
    X_valid = X_train[55_000:]
    alpha_bars = tf.constant(lesson["alpha_bars"], tf.float32)
    T = int(lesson["T"])

    keras.utils.set_random_seed(SEED)
    model = lesson["build_unet"]()
    schedule = keras.optimizers.schedules.CosineDecay(LR, steps, alpha=LR_END / LR)
    optimizer = keras.optimizers.Adam(schedule, global_clipnorm=1.0)
    ema = [tf.Variable(w, trainable=False) for w in model.trainable_variables]
    train_step = lesson["train_step"]

    @tf.function
    def step(x0, t, eps):
        loss = train_step(model, optimizer, x0, alpha_bars, t, eps)
        for average, weight in zip(ema, model.trainable_variables, strict=True):
            average.assign(EMA * average + (1 - EMA) * weight)
        return loss

    rng = np.random.default_rng(SEED)
    losses = []
    load_before = os.getloadavg()
    started = time.perf_counter()
    for i in range(steps):
        idx = rng.integers(0, len(x0_all), BATCH)
        t = rng.integers(0, T, BATCH).astype(np.int32)
        eps = rng.standard_normal((BATCH, 28, 28)).astype(np.float32)
        losses.append(float(step(x0_all[idx], t, eps)))
        if (i + 1) % 500 == 0:
            print(f"step {i + 1}: mean loss of the last 500 steps {np.mean(losses[-500:]):.4f}; "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()

    shipped = lesson["build_unet"]()  # the averaged weights alone, no optimizer state
    for weight, average in zip(shipped.trainable_variables, ema, strict=True):
        weight.assign(average)
    OUT.mkdir(parents=True, exist_ok=True)
    shipped.save_weights(OUT / f"{NAME}.weights.h5")

    sampling = time.perf_counter()
    samples = lesson["to_pixels"](lesson["ddim_sample_images"](
        shipped, N_SAMPLES, lesson["alpha_bars"], DDIM_STEPS, seed=SEED))
    sampling = time.perf_counter() - sampling
    fds = measure.compare({"DDIM": samples}, X_train, X_valid, n=N_SAMPLES,
                          n_reference=N_REFERENCE)
    fd, floor = fds["DDIM"], fds[measure.DATA]
    histogram = measure.class_histogram(samples)
    n_weights = shipped.count_params()
    size = (OUT / f"{NAME}.weights.h5").stat().st_size
    (OUT / f"{NAME}.md").write_text(
        "# The U-Net of lesson 10 (diffusion on images), trained\n\n"
        f"Made by `python scripts/make_ddpm.py --steps {steps}` from {source.name}/ (the four "
        "IDX files). The model, the time embedding, the cosine schedule (T = "
        f"{T}), the training step and the DDIM sampler are the cells {', '.join(CELLS[1:])} "
        "of solutions/10_diffusion_on_images, executed by the script.\n\n"
        f"- training: {steps:,} steps of batch {BATCH} drawn from the first 55,000 training "
        f"images scaled to [-1, 1], seed {SEED}; Adam, learning rate cosine-decayed from {LR:g} "
        f"to {LR_END:g}, gradients clipped at global norm 1; the shipped weights are the "
        f"exponential moving average (decay {EMA}) of the trained ones\n"
        f"- wall time: {seconds:.0f} s ({seconds / steps:.3f} s a step) on {os.cpu_count()} CPU "
        f"cores shared with other work, load average {load_before[0]:.1f} before and "
        f"{load_after[0]:.1f} after\n"
        f"- loss (mean squared error of the predicted noise), mean of the last 500 steps: "
        f"**{np.mean(losses[-500:]):.4f}** (first 500 steps: {np.mean(losses[:500]):.4f})\n"
        f"- Fréchet distance (aecourse.measure) of {N_SAMPLES:,} DDIM samples ({DDIM_STEPS} "
        f"steps, seed {SEED}, {sampling:.0f} s) against {N_REFERENCE:,} training images: "
        f"**{fd:.3f}**; the data's own, {N_SAMPLES:,} validation images against the same "
        f"{N_REFERENCE:,}: {floor:.3f}\n"
        f"- class histogram of those samples: {np.round(histogram, 3).tolist()}\n"
        f"- TensorFlow {tf.__version__}, Keras {keras.__version__}, Python "
        f"{platform.python_version()}\n\n"
        f"The weights file holds the model's weights alone ({n_weights:,} numbers, "
        f"{size / 1e6:.1f} MB). Load them with "
        f"`build_unet().load_weights(datasets.shipped_weights(\"{NAME}\"))`.\n")
    print(f"loss {np.mean(losses[-500:]):.4f}; Fréchet distance {fd:.3f} (data {floor:.3f}); "
          f"classes {np.round(histogram, 2).tolist()}; {seconds:.0f} s")


if __name__ == "__main__":
    default = os.environ.get("AECOURSE_DATA") or ROOT.parent / "shared" / "data" / "fashion-mnist"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default=default, type=Path)
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    main(args.source, args.steps)
