"""Trained weights that ship with the package, for lessons whose models a CPU cannot train
within a lesson's budget. Each ``<name>.weights.h5`` in ``aecourse/datasets/data`` is made by
a script in ``scripts/`` and recorded in ``<name>.md`` beside it (settings, time, results)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_weights(name: str) -> Path:
    """The path of the shipped weights file ``<name>.weights.h5``, for ``model.load_weights``.

    Raises FileNotFoundError, naming the record beside it, when the file is missing."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"a plain weights name is expected, like 'ddpm_unet', got {name!r}")
    path = Path(str(resources.files("aecourse.datasets") / "data" / f"{name}.weights.h5"))
    if not path.is_file():
        raise FileNotFoundError(f"no shipped weights {path.name} in {path.parent}: see "
                                f"{name}.md there for the script that makes them")
    return path
