"""The course's nbgrader settings, shared by nbgrader_config.py and the ``aecourse`` command."""

from __future__ import annotations

from ..config import layout
from ..config.limits import Limits
from ..runtime import NOISE

# What a released answer cell runs until the student replaces it (nbgrader's code stub).
STUB = "raise NotImplementedError()"
# Python kernels that grade start by printing warnings on stdout (a warning is not a wrong
# answer, but nbgrader zeroes a test cell with any stderr).
KERNEL_ARGUMENTS = [
    "--IPKernelApp.exec_lines=import aecourse.runtime as _a; _a.warnings_to_stdout(); del _a",
]


def configure(c, root=".", limits: Limits | None = None) -> None:
    """Apply the course settings to the traitlets config ``c`` for a course rooted at ``root``,
    grading within ``limits`` (default: :class:`aecourse.config.limits.Limits`)."""
    c.CourseDirectory.course_id = "aecourse"
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = layout.SOLUTIONS
    c.CourseDirectory.release_directory = layout.LESSONS
    # Where `aecourse grade` keeps the feedback, so that `nbgrader release_feedback` finds it.
    c.CourseDirectory.feedback_directory = f"{layout.GRADED}/{layout.FEEDBACK}"
    # Student notebooks keep the instructions; solution regions become this stub.
    c.ClearSolutions.code_stub = {"python": f"# YOUR CODE HERE\n{STUB}"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    # A student who deletes a test cell gets it back, with its points still at stake.
    c.OverwriteCells.add_missing_cells = True
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = NOISE.pattern  # TensorFlow's start-up chatter on stderr
    c.Execute.timeout = (limits or Limits()).cell
    c.Execute.interrupt_on_timeout = True
    if limits is not None:  # the default is the traits' own
        c.GradingExecute.limits = c.GradingKernelManager.limits = limits
    c.Execute.extra_arguments = list(KERNEL_ARGUMENTS)
    # nbgrader 0.9's autograde steps, with kernels started by aecourse.sandbox (over IPC
    # sockets; sandboxed when grading students) and a cap on output size after the line limit.
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from .preprocessors import (
        GradingExecute,
        LatePolicyPlugin,
        StderrIsNotAFailure,
        TruncateOutput,
    )

    c.Autograde.autograde_preprocessors = [
        GradingExecute, IgnorePattern, StderrIsNotAFailure, ClearMetadataPreprocessor,
        LimitOutput, TruncateOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
    ]
    # Late work: the policy of course.toml (aecourse.config.term), with due dates and extensions
    # from the gradebook, as `aecourse export` applies it.
    c.AssignLatePenalties.plugin_class = LatePolicyPlugin
