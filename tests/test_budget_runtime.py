"""The budget switch, the cheap package import, the quiet TensorFlow start and seeding."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aecourse import budget


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "teaching"),
        ({"NBGRADER_EXECUTION": "autograde"}, "grading"),
        ({"NBGRADER_EXECUTION": "validate"}, "grading"),
        ({"AECOURSE_BUDGET": "grading"}, "grading"),
        ({"AECOURSE_BUDGET": "Teaching", "NBGRADER_EXECUTION": "autograde"}, "teaching"),
    ],
)
def test_budget_mode(monkeypatch, env, expected):
    for var in ("AECOURSE_BUDGET", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert budget.mode() == expected
    assert budget.pick(teaching=20, grading=2) == (20 if expected == "teaching" else 2)
    assert expected.capitalize() in budget.describe()


def test_bad_budget_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("AECOURSE_BUDGET", "fast")
    with pytest.raises(ValueError, match="AECOURSE_BUDGET must be 'teaching' or 'grading'"):
        budget.mode()


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


def test_import_is_cheap_and_does_not_load_tensorflow():
    proc = run_python(
        "import sys, aecourse, aecourse.datasets, aecourse.budget\n"
        "heavy = ('tensorflow', 'keras', 'matplotlib', 'sklearn')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(heavy)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", f"import aecourse loaded {proc.stdout.strip()}"


def test_quiet_tensorflow_keeps_stderr_clean_through_training():
    proc = run_python(
        "import aecourse\n"
        "tf = aecourse.quiet_tensorflow()\n"
        "import keras, numpy as np\n"
        "aecourse.set_seed(0)\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "m.fit(np.ones((8, 3)), np.ones((8, 2)), verbose=0)\n"
        "print('trained', tf.__name__)\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "trained tensorflow"
    assert proc.stderr == "", f"TensorFlow wrote to stderr: {proc.stderr!r}"


def test_set_seed_makes_keras_reproducible():
    proc = run_python(
        "import aecourse\n"
        "aecourse.quiet_tensorflow()\n"
        "import keras, numpy as np\n"
        "out = []\n"
        "for _ in range(2):\n"
        "    aecourse.set_seed(7)\n"
        "    layer = keras.layers.Dense(3)\n"
        "    out.append(np.asarray(layer(np.ones((1, 4), 'float32'))).tolist())\n"
        "    out.append(np.random.rand())\n"
        "print(out[0] == out[2] and out[1] == out[3])\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
