"""Weights that ship with the package (aecourse.datasets.shipped_weights), and the script that
trains lesson 10's U-Net from the lesson's own cells (scripts/make_ddpm.py)."""

from __future__ import annotations

import importlib.util

import pytest

from aecourse import datasets

from .conftest import ROOT


def load_script():
    spec = importlib.util.spec_from_file_location("make_ddpm", ROOT / "scripts" / "make_ddpm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_weights_paths():
    path = datasets.shipped_weights("ddpm_unet")
    assert path.is_file() and path.name == "ddpm_unet.weights.h5"
    assert path.stat().st_size < 5_000_000, "shipped weights should stay small"
    assert (path.parent / "ddpm_unet.md").is_file(), "every shipped weights file has its record"
    assert datasets.shipped_weights("fashion_classifier").is_file()
    with pytest.raises(FileNotFoundError, match="no_such_model.md"):
        datasets.shipped_weights("no_such_model")
    for bad in ("", "../ddpm_unet", ".hidden", "a/b"):
        with pytest.raises(ValueError):
            datasets.shipped_weights(bad)


def test_script_reads_the_lessons_cells(tmp_path):
    script = load_script()
    sources = script.lesson_cells()
    assert len(sources) == len(script.CELLS)
    named = dict(zip(script.CELLS, sources, strict=True))
    assert "def time_embedding(" in named["ex1_time_embedding"]
    assert "def cosine_schedule(" in named["ex2_cosine_schedule"]
    assert "def build_unet(" in named["demo_unet"]
    assert "def train_step(" in named["ex3_train_step"]
    assert "### BEGIN SOLUTION" in named["ex3_train_step"], "the solved lesson, not the student's"
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": ["x = 1\\n", "y = x + 1"], '
                        '"metadata": {"nbgrader": {"grade_id": "a"}}}, {"cell_type": "markdown", '
                        '"source": "z = 3", "metadata": {"nbgrader": {"grade_id": "b"}}}]}')
    assert script.lesson_namespace(notebook, ("a",))["y"] == 2
    with pytest.raises(KeyError, match="b"):
        script.lesson_cells(notebook, ("a", "b"))  # a markdown cell is not code


def test_shipped_unet_loads_into_the_lessons_model():
    script = load_script()
    lesson = script.lesson_namespace()
    model = lesson["build_unet"]()
    model.load_weights(datasets.shipped_weights("ddpm_unet"))
    x = lesson["ddim_sample_images"](model, 2, lesson["alpha_bars"], 3, seed=0)
    assert x.shape == (2, 28, 28) and abs(x).max() <= 1 + 1e-6
