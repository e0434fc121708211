"""What grading produces: one status vocabulary and typed records, shared by every part of the
grader (private-course grading, the sandbox, batches, the gradebook, reports and the CLI)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """How a notebook was graded. Statuses starting with ``graded`` carry a real score."""

    GRADED = "graded"
    RESTORED_CELLS = "graded-restored-cells"  # edited or deleted test cells were put back
    RENAMED = "graded-renamed"  # a lone notebook under another name
    INVALID_NOTEBOOK = "invalid-notebook"
    MISSING_NOTEBOOK = "missing-notebook"
    INVALID_SUBMISSION = "invalid-submission"  # an unreadable zip, say
    KERNEL_DIED = "kernel-died"
    TIMEOUT = "timeout"  # the whole submission ran out of wall-clock time
    GRADER_ERROR = "grader-error"
    NO_SUBMISSION = "no-submission"  # on the roster, nothing submitted (exports only)

    def __str__(self) -> str:
        return self.value

    @property
    def graded(self) -> bool:
        return self.value.startswith("graded")


@dataclass
class CellResult:
    """The outcome of one graded cell: a test cell, or an answer graded by hand."""

    grade_id: str
    score: float
    max_score: float
    message: str = ""  # the first line of the failure, when the cell lost points
    manual: bool = False  # graded by hand: no automatic score (nbgrader's needs_manual_grade)

    @property
    def lost(self) -> bool:
        """Whether an automatically graded cell lost points."""
        return not self.manual and self.score < self.max_score


@dataclass
class NotebookResult:
    """The outcome of one notebook."""

    notebook: str
    score: float
    max_score: float
    status: Status
    cells: list[CellResult] = field(default_factory=list)
    detail: str = ""
    first_error: str = ""  # the first cell that raised, any cell: ``grade_id: error``

    def __post_init__(self):
        self.status = Status(self.status)

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status.value}

    @property
    def by_hand(self) -> list[CellResult]:
        """The cells left for the instructor to grade."""
        return [c for c in self.cells if c.manual]

    @classmethod
    def from_dict(cls, data: dict) -> NotebookResult:
        cells = [CellResult(**c) for c in data.get("cells", [])]
        return cls(**{**data, "cells": cells})


@dataclass
class SubmissionRecord:
    """One student's graded submission of one assignment."""

    student: str
    assignment: str
    notebooks: list[NotebookResult]
    feedback: dict[str, str] = field(default_factory=dict)  # notebook name -> HTML
    timestamp: str = ""  # when the student submitted (ISO 8601, UTC), when known
    submission_hash: str = ""  # of the submitted bytes
    course_version: str = ""  # of the instructor's notebooks it was graded against
    seconds: float = 0.0  # wall time of the grading
    timings: dict[str, float] = field(default_factory=dict)  # where those seconds went
    secret: str = ""  # nbgrader's submission secret, kept beside the feedback (not in records)

    @property
    def score(self) -> float:
        return sum(n.score for n in self.notebooks)

    @property
    def max_score(self) -> float:
        return sum(n.max_score for n in self.notebooks)

    def to_dict(self, feedback: bool = True) -> dict:
        """As JSON; ``feedback`` False leaves out the pages and the submission secret."""
        data = asdict(self)
        data["notebooks"] = [n.to_dict() for n in self.notebooks]
        if not feedback:
            del data["feedback"], data["secret"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionRecord:
        notebooks = [NotebookResult.from_dict(n) for n in data["notebooks"]]
        return cls(**{**data, "notebooks": notebooks})
