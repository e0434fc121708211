"""``aecourse release``: ``lessons/`` made from ``solutions/``, each release proven first."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..config.layout import Course
from ..grader import autograde
from ..grader.results import Status


def verify(source: Path, assignment: str, tmp: Path, say=print) -> tuple[Path, list[str]]:
    """Release ``source`` into ``tmp`` and grade it: the solution must earn full marks and the
    released notebooks nothing. Returns the released folder and what is wrong."""
    found = []
    api = autograde.prepare_course(tmp, source, assignment)
    generated = tmp / autograde.RELEASE / assignment
    say(f"{assignment}: grading the solution ...")
    solved = autograde.solve(source, generated, tmp / "solved")
    for result in autograde.autograde(api, assignment, solved, student="solution"):
        if result.score < result.max_score or result.status != Status.GRADED:
            lost = "; ".join(f"{c.grade_id}: {c.message}" for c in result.cells
                             if c.score < c.max_score)
            found.append(f"{assignment}/{result.notebook}: solution scores "
                         f"{result.score:g}/{result.max_score:g} ({lost or result.status})")
    say(f"{assignment}: grading the released lesson ...")
    for result in autograde.autograde(api, assignment, generated, student="blank"):
        if result.score > 0 or result.status != Status.GRADED:
            found.append(f"{assignment}/{result.notebook}: released lesson scores "
                         f"{result.score:g}/{result.max_score:g} ({result.status})")
    return generated, found


def release(root: Path, assignments=None, say=print) -> list[str]:
    """Regenerate ``lessons/`` from ``solutions/`` for ``assignments`` (default: all) and
    verify each release; a lesson is written only when verified. Returns the problems."""
    course = Course(Path(root))
    problems = []
    for assignment in assignments or course.assignments():
        try:
            source = course.source(assignment)
        except FileNotFoundError as err:
            problems.append(f"{assignment}: {err}")
            continue
        with tempfile.TemporaryDirectory(prefix=f"aecourse-{assignment}-") as tmp:
            generated, found = verify(source, assignment, Path(tmp), say)
            target = course.lesson(assignment)
            if found:
                say(f"{assignment}: NOT written to {target}")
            else:
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(generated, target)
                say(f"{assignment}: verified and written to {target}")
        problems += found
    return problems
