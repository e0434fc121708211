"""Other answers to the course's exercises: plausible wrong ones and correct ones in other styles.

``variants/<assignment>.py`` (beside ``solutions/``, never released) defines two dicts::

    WRONG = {"relu_encoder": {"why": "ReLU instead of a linear encoder",
                              "cells": {"ex1_build_linear_autoencoder": "def build...(): ..."},
                              "caught_by": ["test_ex1_linear"]}}      # optional
    RIGHT = {"textbook_tf_keras": {"why": "...", "cells": {...}}}

Each variant replaces whole solution cells (by ``grade_id``) of the solved lesson with what a
student would write there. A wrong variant must lose points (in every ``caught_by`` test cell,
when given); a right one must earn full marks. :func:`submissions` writes them as student
submissions, for the grader to grade like any other.
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass, field
from pathlib import Path

from ..config import env
from ..config.layout import Course
from ..grader.results import CellResult


@dataclass(frozen=True)
class Variant:
    """One answer to some exercises of an assignment."""

    name: str
    wrong: bool
    why: str
    cells: dict[str, str]  # solution cell grade_id -> the cell's whole source
    caught_by: tuple[str, ...] = field(default=())

    @property
    def student(self) -> str:
        """The student id under which the variant is graded."""
        return f"{'wrong' if self.wrong else 'right'}-{self.name}"


def load(root: Path, assignment: str) -> list[Variant]:
    """The variants of ``assignment`` in the course at ``root`` (none when it has no file)."""
    path = Course(root).variants / f"{assignment}.py"
    if not path.is_file():
        return []
    found = runpy.run_path(str(path))
    variants = []
    for wrong, table in ((True, found.get("WRONG", {})), (False, found.get("RIGHT", {}))):
        for name, spec in table.items():
            unknown = set(spec) - {"why", "cells", "caught_by"}
            if unknown or not spec.get("cells"):
                raise ValueError(f"{path}: variant {name!r} needs 'cells' (and only 'why', "
                                 f"'caught_by' besides); found {sorted(spec)}")
            variants.append(Variant(name, wrong, spec.get("why", ""), dict(spec["cells"]),
                                    tuple(spec.get("caught_by", ()))))
    return variants


def apply(solved: Path, variant: Variant, out: Path) -> Path:
    """Write into ``out`` the notebooks of ``solved`` with ``variant``'s cells in place."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    missing = set(variant.cells)
    for path in sorted(solved.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in variant.cells and cell.metadata.nbgrader.get("solution"):
                cell.source = variant.cells[grade_id].strip("\n")
                missing.discard(grade_id)
        nbformat.write(nb, out / path.name)
    if missing:
        raise ValueError(f"variant {variant.name!r} names no solution cell "
                         f"{', '.join(sorted(missing))}")
    return out


def _totals(cells: list[CellResult]) -> tuple[float, float]:
    return sum(c.score for c in cells), sum(c.max_score for c in cells)


def problems(variant: Variant, cells: list[CellResult]) -> list[str]:
    """What is wrong with how ``variant`` was graded, given the result of each test cell."""
    score, full = _totals(cells)
    if not variant.wrong:
        lost = [c.grade_id for c in cells if c.score < c.max_score]
        return [f"right answer {variant.name!r} loses points in {', '.join(lost)}"] if lost else []
    found = []
    if score >= full:
        found.append(f"wrong answer {variant.name!r} ({variant.why}) earns full marks")
    by_id = {c.grade_id: c for c in cells}
    for grade_id in variant.caught_by:
        if grade_id not in by_id:
            found.append(f"wrong answer {variant.name!r}: no test cell {grade_id}")
        elif by_id[grade_id].score >= by_id[grade_id].max_score:
            found.append(f"wrong answer {variant.name!r} passes {grade_id}, which should "
                         "catch it")
    return found


SOLUTION, BLANK, UNDONE = "solution", "blank", "undone-"


def submissions(root: Path, assignment: str, submitted: Path) -> dict[str, Variant | None]:
    """Write the proofs of ``assignment`` as a ``submitted/`` tree: the solution, the released
    lesson, the solution with each exercise left undone, and every variant. Returns student
    id -> its variant (None for the others: their ids say what they are)."""
    import shutil
    import tempfile

    import nbformat

    from ..grader.autograde import RELEASE, prepare_course, solve

    source = Course(root).source(assignment)
    made: dict[str, Variant | None] = {SOLUTION: None, BLANK: None}
    with tempfile.TemporaryDirectory(prefix="aecourse-variants-") as tmp:
        prepare_course(Path(tmp), source, assignment)
        release = Path(tmp) / RELEASE / assignment
        solved = solve(source, release, submitted / SOLUTION / assignment)
        shutil.copytree(release, submitted / BLANK / assignment)
        for path in sorted(release.glob("*.ipynb")):
            stubs = {c.metadata.nbgrader["grade_id"]: c.source
                     for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
            for grade_id, stub in stubs.items():
                student = f"{UNDONE}{grade_id}"
                shutil.copytree(solved, submitted / student / assignment)
                nb = nbformat.read(submitted / student / assignment / path.name, as_version=4)
                for cell in nb.cells:
                    if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                        cell.source = stub
                nbformat.write(nb, submitted / student / assignment / path.name)
                made[student] = None
    for variant in load(root, assignment):
        apply(solved, variant, submitted / variant.student / assignment)
        made[variant.student] = variant
    return made


def judge(student: str, variant: Variant | None, cells: list[CellResult],
          trouble: str = "") -> list[str]:
    """What is wrong with how the proof ``student`` was graded (see :func:`submissions`),
    given the result of each test cell; ``trouble`` says how its grading went wrong, if it
    did."""
    score, full = _totals(cells)
    if trouble and student != BLANK:
        return [f"{student}: not graded normally ({trouble})"]
    if variant is not None:
        return problems(variant, cells)
    if student == SOLUTION and score < full:
        return [f"the solution loses points: {score:g}/{full:g}"]
    if student == BLANK and score > 0:
        return [f"the released lesson earns {score:g}/{full:g}"]
    if student.startswith(UNDONE) and score >= full:
        return [f"leaving {student.removeprefix(UNDONE)} undone still earns full marks"]
    return []


def prove(root: Path, assignments, workers: int = 2, report=print) -> list[str]:
    """Grade, as a class is graded, each assignment's solution, release, undone exercises and
    variants (see :mod:`aecourse.authoring.variants`); return what did not get what it
    deserves."""
    import tempfile

    from ..config.layout import GRADEBOOK, sqlite_url
    from ..grader.batch import grade_class
    from ..sandbox import policy

    found = []
    with tempfile.TemporaryDirectory(prefix="aecourse-prove-") as tmp:
        submitted, made = Path(tmp) / "submitted", {}
        for assignment in assignments:
            if not load(root, assignment):
                found.append(f"{assignment}: no variants in {Course(root).variants}")
            made[assignment] = submissions(root, assignment, submitted)
        summary = grade_class(submitted, course=root, out=Path(tmp) / "out",
                              db_url=sqlite_url(Path(tmp) / GRADEBOOK),
                              workers=workers, sandboxed=not policy.problem(), say=report)
    for record in sorted(summary.graded, key=lambda r: (r.assignment, r.student)):
        cells = [c for n in record.notebooks for c in n.cells]
        mine = judge(record.student, made[record.assignment][record.student], cells,
                     trouble(record))
        report(f"{record.assignment}: {record.student}: {record.score:g}/{record.max_score:g}"
               + (f"  <- {'; '.join(mine)}" if mine else ""))
        found += [f"{record.assignment}: {p}" for p in mine]
    return found


def trouble(record) -> str:
    """How the grading of ``record`` (a SubmissionRecord) went wrong: "" if it did not."""
    bad = [str(n.status) for n in record.notebooks if not n.status.graded]
    if not record.notebooks:
        return "no notebook was graded"
    return ", ".join(bad)


GRADED = {env.NBGRADER_EXECUTION: "autograde", env.BUDGET: "grading"}  # as in autograde


def profile(root: Path, assignment: str) -> list:
    """The solution runs of ``assignment`` as grading runs them (forkrun Outcomes,
    with each cell's seconds)."""
    from . import forkrun

    mine = [run for run, student, _ in _proof_runs(Path(root), assignment)
            if student == SOLUTION]
    source = Course(root).source(assignment)
    outcomes = forkrun.run_all(mine, source, workers=1, env=GRADED)
    return [outcomes[run.name] for run in mine]


def check(root: Path, assignment: str, workers: int = 2, timeout: float = 300,
          report=None) -> list[str]:
    """Run the proofs of ``assignment`` (its solution, each exercise left undone as released,
    every variant) in the grading budget, skipping what grading skips, and return what is
    wrong with them: the fast way to :func:`submissions` plus grading, for the course's own
    notebooks (see :mod:`aecourse.forkrun`). A wrong answer stops at the test that catches it.
    """
    from . import forkrun

    runs, problems = _proof_runs(Path(root), assignment), []
    source = Course(root).source(assignment)
    outcomes = forkrun.run_all([r for r, _, _ in runs], source, workers, timeout, env=GRADED)
    for run, student, variant in runs:
        outcome = outcomes[run.name]
        found = judge(student, variant, outcome.cells, outcome.problem)
        if found and outcome.errors:
            first = next(iter(outcome.errors.items()))
            found = [f"{f} [{first[0] or 'a cell'}: {first[1]}]" for f in found]
        problems += [f"{assignment}/{run.name}: {f}" for f in found]
        if report is not None:
            score, ran = _totals(outcome.cells)
            tests = sum(c.points for c in run.cells)
            report(f"{assignment}/{run.name}: {score:g}/{ran:g}"
                   + (f" of {tests:g} (stopped once caught)" if ran < tests else "")
                   + f" in {outcome.seconds:.1f} s" + (f"  <- {'; '.join(found)}" if found else ""))
    return problems


def _proof_runs(root: Path, assignment: str):
    """(forkrun.Run, student id, variant) for each proof of ``assignment``."""
    import nbformat

    from ..grader.autograde import skipped_cells
    from . import forkrun

    course = Course(Path(root))
    source, lesson = course.source(assignment), course.lesson(assignment)
    if not lesson.is_dir():
        raise FileNotFoundError(f"no released lesson {lesson}: run `aecourse release "
                                f"{assignment}` first")
    skip = set(skipped_cells(source))
    listed = load(course.root, assignment)
    runs: list[tuple[forkrun.Run, str, Variant | None]] = []
    unknown = {v.name: set(v.cells) for v in listed}
    for path in sorted(source.glob("*.ipynb")):
        cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        meta = [c.metadata.get("nbgrader", {}) for c in cells]
        answers = {m["grade_id"] for m in meta if m.get("solution")}
        stubs = {c.metadata.nbgrader["grade_id"]: c.source
                 for c in nbformat.read(lesson / path.name, as_version=4).cells
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}

        def build(student, replace, stop_after, variant=None, path=path, cells=cells,
                  meta=meta):
            body = [forkrun.Cell(m.get("grade_id", ""),
                                 replace.get(m.get("grade_id"), c.source)
                                 if m.get("solution") else c.source,
                                 float(m.get("points", 0)) if m.get("grade") else 0.0)
                    for c, m in zip(cells, meta, strict=True) if m.get("grade_id") not in skip]
            run = forkrun.Run(f"{path.stem}/{student}", body, stop_after)
            runs.append((run, student, variant))

        build(SOLUTION, {}, None)
        for grade_id, stub in stubs.items():
            build(f"{UNDONE}{grade_id}", {grade_id: stub}, ())
        for variant in listed:
            mine = {g: src for g, src in variant.cells.items() if g in answers}
            unknown[variant.name] -= set(mine)
            if mine:
                build(variant.student, mine, variant.caught_by if variant.wrong else None,
                      variant)
    for name, left in unknown.items():
        if left:
            raise ValueError(f"variant {name!r} names no solution cell "
                             f"{', '.join(sorted(left))}")
    return runs
