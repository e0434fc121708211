"""Notebook set-up: a quiet TensorFlow and reproducible runs."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

# What every lesson's set-up cell loads, none of which runs a TensorFlow operation: a process
# that imported them can still fork (the grading fork server and the course's proofs do).
LESSON_IMPORTS = ("numpy", "tensorflow", "keras", "matplotlib", "matplotlib.pyplot", "sklearn",
                  "aecourse", "aecourse.budget", "aecourse.datasets", "aecourse.plotting",
                  "aecourse.runtime")

# Start-up chatter TensorFlow's C++ runtime writes straight to file descriptor 2. nbgrader
# scores a test cell with any stderr output as zero, so it must all land in the set-up cell
# (and nbgrader's IgnorePattern drops any that slips through: see aecourse.grader.nbconfig).
NOISE = re.compile(
    r"absl::InitializeLog|cudart_stub|cuda_platform|cuda_executor|cuInit|port\.cc|"
    r"cpu_feature_guard|rebuild TensorFlow with the appropriate compiler flags|"
    r"oneDNN custom operations|computation_placer|TF-TRT|Unable to register cu"
)


@contextlib.contextmanager
def quiet_stderr():
    """Capture file descriptor 2 (where TensorFlow's C++ runtime writes) for the block, then
    pass on only what is not known start-up noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines()
    rest = [line for line in lines if line.strip() and not NOISE.search(line)]
    if rest:
        print("\n".join(rest), file=sys.stderr)


_devices_ready = False


def quiet_tensorflow():
    """Import TensorFlow with its start-up chatter silenced and return the module.

    Sets TensorFlow's log level, imports it while file descriptor 2 is captured (filtering
    out the known noise and passing anything else on), and initialises its devices, so no
    stray log lines appear later in a graded cell. In a process forked from one that only
    imported TensorFlow (:mod:`aecourse.sandbox.forkserver`), it initialises the devices.
    """
    global _devices_ready
    if _devices_ready:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with quiet_stderr():
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        tf.config.list_physical_devices()
        tf.constant(0.0) + 1.0  # the first op initialises the devices (and logs about it)
    _devices_ready = True
    return tf


def warnings_to_stdout() -> None:
    """Print Python warnings on stdout, marked as warnings.

    nbgrader scores a test cell with any stderr output as zero, and a warning (Keras 3's about
    ``input_shape=``, say) is not a wrong answer. Grading kernels call this at start (see
    :data:`aecourse.grader.nbconfig.KERNEL_ARGUMENTS`); real errors still raise and still fail.
    """
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        text = warnings.formatwarning(message, category, filename, lineno, line)
        sys.stdout.write(WARNING_NOTE + text)

    warnings.showwarning = show


WARNING_NOTE = "Warning (shown, not counted against you): "


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and (when imported) Keras/TensorFlow for reproducible runs."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
