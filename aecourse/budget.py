"""How much training a lesson cell does: the teaching budget or the grading budget.

The *teaching* budget uses the full settings of the lesson (e.g. 20 epochs on 55,000 images).
The *grading* budget (a few epochs on a subset) is used when nbgrader runs a notebook (it sets
``NBGRADER_EXECUTION`` during autograde and validate) and in CI. ``AECOURSE_BUDGET=teaching`` or
``AECOURSE_BUDGET=grading`` forces either.

In a notebook::

    EPOCHS = budget.pick(teaching=20, grading=2)
"""

from __future__ import annotations

import os

from .config import env

TEACHING = "teaching"
GRADING = "grading"
ENV = env.BUDGET


def mode() -> str:
    """Return ``"teaching"`` or ``"grading"``, from the environment."""
    forced = os.environ.get(ENV, "").strip().lower()
    if forced:
        if forced not in (TEACHING, GRADING):
            raise ValueError(f"{ENV} must be '{TEACHING}' or '{GRADING}', got {forced!r}")
        return forced
    return GRADING if os.environ.get(env.NBGRADER_EXECUTION) else TEACHING


def is_grading() -> bool:
    """Whether the grading budget is in force."""
    return mode() == GRADING


def pick(teaching, grading):
    """Return ``teaching`` or ``grading`` according to the budget in force."""
    return grading if is_grading() else teaching


def describe() -> str:
    """One line saying which budget is in force and how to change it."""
    if is_grading():
        return (f"Grading budget: short training on subsets (set {ENV}=teaching "
                "for the full settings).")
    return f"Teaching budget: full training settings (set {ENV}=grading for a quick run)."
