"""The ``aecourse`` command: data, student self-check, and release for instructors."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from . import grading
from .nbconfig import ASSIGNMENTS


def cmd_data(args) -> int:
    """Fetch (or find) Fashion-MNIST and say where it came from."""
    import warnings

    from .datasets import SampleDataWarning, load_fashion_mnist

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SampleDataWarning)
        (X_train, _), (X_test, _) = load_fashion_mnist(args.dir)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(f"Fashion-MNIST ready: {len(X_train):,} training and {len(X_test):,} test images.")
    return 1 if caught else 0


def _cell_table(rows, header) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    )


def check_notebook(path: Path):
    """Run ``path`` as ``nbgrader validate`` does; return (rows, changed test cells).

    Each row is ``(grade_id, earned, possible, first line of the failure)``.
    """
    import nbformat
    from nbgrader.utils import chdir, determine_grade, is_grade
    from nbgrader.validator import Validator
    from traitlets.config import Config

    from .nbconfig import configure

    config = Config()
    configure(config)
    validator = Validator(config=config)
    nb = nbformat.read(path, as_version=4)
    with chdir(str(path.parent.resolve())):
        nb = validator._preprocess(nb)  # runs it as `nbgrader validate` does
    changed = [c.metadata.nbgrader.get("grade_id", "?") for c in validator._get_changed_cells(nb)]
    rows = []
    for cell in nb.cells:
        if is_grade(cell) and cell.cell_type == "code":
            score, possible = determine_grade(cell)
            message = grading.failure_message(cell.outputs) if score != possible else ""
            rows.append((cell.metadata.nbgrader["grade_id"], score or 0, possible, message))
    return rows, changed


def cmd_check(args) -> int:
    """Self-check: run notebooks with their visible tests and report points per test cell."""
    failed = False
    for name in args.notebooks:
        path = Path(name)
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            failed = True
            continue
        print(f"Checking {path} (visible tests only: hidden tests run when your work is graded)")
        try:
            rows, changed = check_notebook(path)
        except Exception as err:  # an unreadable notebook is the student's to fix
            print(f"{path}: could not be run: {err}", file=sys.stderr)
            failed = True
            continue
        print(_cell_table([(g, f"{e:g}/{p:g}", m) for g, e, p, m in rows],
                          ("test", "points", "failure")))
        earned, possible = sum(r[1] for r in rows), sum(r[2] for r in rows)
        print(f"Total: {earned:g}/{possible:g} points from visible tests.")
        if changed:
            print("Warning: these read-only test cells were edited and will be restored when "
                  "graded: " + ", ".join(changed))
        failed = failed or earned < possible or bool(changed)
    return 1 if failed else 0


def release(root: Path, assignments) -> list[str]:
    """Regenerate lessons/ from solutions/ and verify each release; return the problems."""
    problems = []
    for assignment in assignments:
        source = root / "solutions" / assignment
        if not source.is_dir():
            problems.append(f"{assignment}: no folder {source}")
            continue
        found = []
        with tempfile.TemporaryDirectory(prefix=f"aecourse-{assignment}-") as tmp:
            api = grading.prepare_course(Path(tmp), source, assignment)
            generated = Path(tmp) / "release" / assignment
            print(f"{assignment}: grading the solution ...", flush=True)
            solved = grading.solve(source, generated, Path(tmp) / "solved")
            for result in grading.autograde(api, assignment, solved, student="solution"):
                if result.score < result.max_score or result.status != "graded":
                    lost = "; ".join(f"{c.grade_id}: {c.message}" for c in result.cells
                                     if c.score < c.max_score)
                    found.append(f"{assignment}/{result.notebook}: solution scores "
                                 f"{result.score:g}/{result.max_score:g} ({lost})")
            print(f"{assignment}: grading the released lesson ...", flush=True)
            for result in grading.autograde(api, assignment, generated, student="blank"):
                if result.score > 0 or result.status != "graded":
                    found.append(f"{assignment}/{result.notebook}: released lesson scores "
                                 f"{result.score:g}/{result.max_score:g} ({result.status})")
            target = root / "lessons" / assignment
            if found:
                print(f"{assignment}: NOT written to {target}")
            else:
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(generated, target)
                print(f"{assignment}: verified and written to {target}")
        problems += found
    return problems


def check_variants(root: Path, assignment: str, report=print) -> list[str]:
    """Grade every variant of ``assignment`` (see :mod:`aecourse.variants`); return problems."""
    from . import variants

    found = []
    listed = variants.load(root, assignment)
    if not listed:
        return [f"{assignment}: no variants in {root / variants.FOLDER / (assignment + '.py')}"]
    with tempfile.TemporaryDirectory(prefix=f"aecourse-{assignment}-") as tmp:
        source = root / "solutions" / assignment
        api = grading.prepare_course(Path(tmp), source, assignment)
        solved = grading.solve(source, Path(tmp) / "release" / assignment, Path(tmp) / "solved")
        for variant in listed:
            submission = variants.apply(solved, variant, Path(tmp) / "variants" / variant.name)
            results = grading.autograde(api, assignment, submission, student=variant.student)
            cells = {c.grade_id: (c.score, c.max_score) for r in results for c in r.cells}
            score, full = sum(s for s, _ in cells.values()), sum(m for _, m in cells.values())
            mine = variants.problems(variant, cells)
            report(f"{assignment}: {'wrong' if variant.wrong else 'right'} {variant.name}: "
                   f"{score:g}/{full:g}{'  <- ' + '; '.join(mine) if mine else ''}")
            found += [f"{assignment}: {p}" for p in mine]
    return found


def cmd_variants(args) -> int:
    root = Path(args.root).resolve()
    problems = []
    for assignment in args.assignments or ASSIGNMENTS:
        problems += check_variants(root, assignment)
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    print("Every wrong answer loses points and every right one earns full marks."
          if not problems else f"{len(problems)} problem(s).")
    return 1 if problems else 0


def cmd_release(args) -> int:
    problems = release(Path(args.root).resolve(), args.assignments or ASSIGNMENTS)
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    print("Release verified." if not problems else f"{len(problems)} problem(s).")
    return 1 if problems else 0


def cmd_grade(args) -> int:
    """Autograde a class: sandboxed, in parallel; gradebook, scores CSV and feedback."""
    from . import classroom, sandbox

    course = Path(args.course).resolve()
    out = Path(args.output).resolve()
    db_url = args.db or f"sqlite:///{course / 'gradebook.db'}"
    limits = sandbox.Limits(wall=args.timeout, cell=args.cell_timeout,
                            memory=sandbox.parse_size(args.memory))
    try:
        jobs = classroom.collect(Path(args.submissions), args.assignment, course)
    except (FileNotFoundError, ValueError) as err:
        print(f"aecourse grade: {err}", file=sys.stderr)
        return 2
    hidden = [course, Path(args.submissions).resolve(), out]
    if db_url.startswith("sqlite:///"):
        hidden.append(Path(db_url.removeprefix("sqlite:///")).resolve().parent)
    for job in jobs:
        job.limits, job.hidden = limits, tuple(str(p) for p in hidden)
    where = f"on {args.scheduler}" if args.scheduler else f"with {args.workers} worker(s)"
    print(f"Grading {len(jobs)} submission(s) {where}; isolation: {sandbox.isolation()}",
          flush=True)
    records = classroom.grade_all(jobs, workers=args.workers, scheduler=args.scheduler)
    classroom.merge(db_url, course, records)
    csv_path = classroom.write_reports(records, out)
    statuses = [nb["status"] for r in records for nb in r["notebooks"]]
    print(f"Scores: {csv_path}; feedback: {out / 'feedback'}; gradebook: {db_url}")
    problems = [s for s in statuses if not s.startswith("graded")]
    if problems:
        print(f"{len(problems)} notebook(s) not graded normally; see the status column.")
    return 0


def main(argv=None) -> int:
    import warnings

    # nbgrader 0.9 trips over its own SQLAlchemy session use; harmless, but noisy.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    parser = argparse.ArgumentParser(prog="aecourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="download (or find) Fashion-MNIST and verify it")
    p.add_argument("--dir", help="folder to keep the files in (default: $AECOURSE_DATA or cache)")
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("check", help="run your notebook's visible tests and show your points")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("release", help="regenerate lessons/ from solutions/ and verify them")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--root", default=".", help="the course folder (default: current folder)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("variants", help="grade the plausible wrong and right answers listed "
                                        "in variants/ and check each gets what it deserves")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--root", default=".", help="the course folder (default: current folder)")
    p.set_defaults(func=cmd_variants)

    p = sub.add_parser("grade", help="autograde a class of submissions (sandboxed, parallel)")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="an nbgrader submitted/ tree or a folder of zip files (one per student)")
    p.add_argument("--assignment", help="the assignment (required for a folder of zips)")
    p.add_argument("--course", default=".", help="the course folder holding solutions/")
    p.add_argument("--output", default="graded", help="where scores.csv and feedback/ go")
    p.add_argument("--db", help="gradebook SQLAlchemy URL (default: COURSE/gradebook.db)")
    p.add_argument("--workers", type=int, default=1, help="submissions graded at once")
    p.add_argument("--timeout", type=float, default=600, help="seconds per submission")
    p.add_argument("--cell-timeout", type=int, default=300, help="seconds per cell")
    p.add_argument("--memory", default="6G", help="memory (address space) per submission")
    p.add_argument("--scheduler", help="dask.distributed scheduler address to grade on")
    p.set_defaults(func=cmd_grade)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
