"""The course's folders and files, named once (as nbgrader's ``CourseDirectory`` does).

A course folder holds ``solutions/<assignment>/`` (the instructor's notebooks: nbgrader's
*source*), ``lessons/<assignment>/`` (the released student notebooks), ``variants/`` (the
other answers each exercise is proven against), the gradebook and, once graded, ``graded/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SOLUTIONS = "solutions"
NBGRADER_SOURCE = "source"  # nbgrader's own name for it, in any other nbgrader course
LESSONS = "lessons"
VARIANTS = "variants"
GRADED = "graded"  # what grading writes: records, scores.csv, feedback, reports
GRADEBOOK = "gradebook.db"
FEEDBACK = "feedback"  # under GRADED: feedback/<student>/<assignment>/<notebook>.html
RECORDS = "records"  # under GRADED: one JSON-lines file per grading run
PICTURES = "figures"  # in solutions/<assignment>/ and lessons/<assignment>/: reference PNGs
KIT = "kit"  # what `aecourse kit` writes for a class: this folder, and a zip of it
LOCK = Path("requirements") / "lock.txt"  # in a checkout of the course: the tested versions
# under GRADED, written by `aecourse export --feedback`: the pages as each LMS takes them back
LMS_FEEDBACK = {"moodle": "feedback-moodle", "canvas": "feedback-canvas"}


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite gradebook at ``path``."""
    return f"sqlite:///{Path(path)}"


@dataclass(frozen=True)
class Course:
    """The folders of the course at ``root``."""

    root: Path = Path(".")

    @property
    def solutions(self) -> Path:
        """The instructor's notebooks: ``solutions/``, or ``source/`` in a course laid out as
        nbgrader's default is."""
        ours, theirs = Path(self.root) / SOLUTIONS, Path(self.root) / NBGRADER_SOURCE
        return theirs if not ours.is_dir() and theirs.is_dir() else ours

    @property
    def lessons(self) -> Path:
        return Path(self.root) / LESSONS

    @property
    def variants(self) -> Path:
        return Path(self.root) / VARIANTS

    @property
    def gradebook_url(self) -> str:
        """The default gradebook: SQLite, in the course folder."""
        return sqlite_url(Path(self.root).resolve() / GRADEBOOK)

    def source(self, assignment: str) -> Path:
        """The instructor's folder of ``assignment``; a one-line error when there is none."""
        folder = self.solutions / assignment
        if not folder.is_dir():
            raise FileNotFoundError(f"no assignment {assignment!r}: {folder} does not exist")
        return folder

    def lesson(self, assignment: str) -> Path:
        return self.lessons / assignment

    def assignments(self) -> tuple[str, ...]:
        """Every assignment of the course: the folders of ``solutions/`` that hold a
        notebook, in order."""
        if not self.solutions.is_dir():
            return ()
        return tuple(sorted(p.name for p in self.solutions.iterdir()
                            if p.is_dir() and any(p.glob("*.ipynb"))))
