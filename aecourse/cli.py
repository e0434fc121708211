"""The ``aecourse`` command: data, a student's self-check, and the instructor's release,
kit, variants, grade, report, similarity and export. Each command forwards to one function and
takes its defaults from it."""

from __future__ import annotations

import argparse
import inspect
import os
import signal
import sys
from pathlib import Path

from .config.layout import FEEDBACK, GRADED, Course
from .config.limits import Limits, parse_size
from .config.text import first_line

# What `aecourse grade` exits with (the README's "Exit status" says the same).
GRADED_ALL = 0  # every notebook graded, or failed by the student's own doing
BAD_INPUT = 2  # a one-line error: nothing graded
GRADER_ERRORS = 3  # some notebooks ended grader-error: fix the grader, run again to regrade
STOPPED = 4  # the canary failed, or the grader failed alike for several students: stopped
INTERRUPTED = 130  # Ctrl-C or SIGTERM: what was graded is kept


def _default(function, name: str):
    """The default of ``function``'s parameter ``name``: the one place it is defined."""
    return inspect.signature(function).parameters[name].default


def _table(rows, header) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    )


def _path(text):
    return Path(text) if text else None


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


def cmd_check(args) -> int:
    """Self-check: run notebooks with their visible tests (with ``--hidden``, graded with the
    hidden tests too, from the instructor's notebooks) and report points per test cell."""
    from .grader.selfcheck import check_hidden, check_notebook

    which = ("visible and hidden tests, graded against the instructor's notebook" if args.hidden
             else "visible tests only: hidden tests run when your work is graded")
    failed = False
    for name in args.notebooks:
        path = Path(name)
        if not path.is_file():
            print(f"aecourse check: {path}: no such notebook", file=sys.stderr)
            failed = True
            continue
        print(f"Checking {path} ({which})", flush=True)
        try:
            if args.hidden:
                cells, note = check_hidden(path)
            else:
                cells, listed = check_notebook(path)
                note = "" if listed else ("Note: this notebook carries no list of its test "
                                          "cells, so deleted test cells cannot be noticed; "
                                          "work on the released lesson.")
        except FileNotFoundError as err:  # --hidden without the instructor's notebooks
            print(f"aecourse check: {path}: {first_line(err, None)}", file=sys.stderr)
            failed = True
            continue
        except Exception as err:  # an unreadable notebook is the student's to fix
            print(f"aecourse check: {path}: could not be run: {first_line(err)}",
                  file=sys.stderr)
            failed = True
            continue
        automatic = [c for c in cells if not c.manual]
        print(_table([(c.grade_id, "by hand" if c.manual else f"{c.score:g}/{c.max_score:g}",
                       c.message) for c in cells], ("test", "points", "message")))
        earned = sum(c.score for c in automatic)
        possible = sum(c.max_score for c in automatic)
        print(f"Total: {earned:g}/{possible:g} points from "
              f"{'visible and hidden' if args.hidden else 'visible'} tests.")
        if note:
            print(note)
        failed = failed or earned < possible or not cells
    return 1 if failed else 0


def _report_problems(problems, success: str) -> int:
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    print(success if not problems else f"{len(problems)} problem(s).")
    return 1 if problems else 0


def cmd_release(args) -> int:
    from .authoring.release import release

    problems = release(Path(args.root).resolve(), args.assignments,
                       say=lambda text: print(text, flush=True))
    return _report_problems(problems, "Release verified.")


def cmd_kit(args) -> int:
    """Write the kit handed to a class, once no solution or hidden test is found in it."""
    from .authoring.kit import KitError, kit

    try:
        made = kit(Path(args.root), Path(args.output), say=lambda text: print(text, flush=True))
    except KitError as err:
        print(f"aecourse kit: {first_line(err, None)}", file=sys.stderr)
        return 1
    print(f"Searched {made.files} files (the zip and the wheel opened) for {made.secrets} "
          "lines of solutions and hidden tests: none found.")
    print(f"Kit: {made.folder} and {made.zip}: {len(made.lessons)} lessons, {made.wheel}, "
          "the pinned versions and a README for students.")
    return 0


def cmd_variants(args) -> int:
    from .authoring import variants

    root = Path(args.root).resolve()
    assignments = args.assignments or Course(root).assignments()
    if args.grader:
        problems = variants.prove(root, assignments, args.workers)
    else:
        problems = []
        for assignment in assignments:
            if not variants.load(root, assignment):
                problems.append(f"{assignment}: no variants in {Course(root).variants}")
            problems += variants.check(root, assignment, args.workers, report=print)
    return _report_problems(problems, "Every wrong answer loses points and every right one "
                                      "earns full marks.")


def cmd_grade(args) -> int:
    """Autograde a class: sandboxed, in parallel, resumable; gradebook, scores and feedback."""
    from .grader.batch import CanaryFailed, GraderBroken, grade_class
    from .grader.gradebook import display_url
    from .grader.results import Status

    limits = Limits(wall=args.timeout, cell=args.cell_timeout, memory=parse_size(args.memory))

    def stop(signum, frame):  # SIGTERM ends a run as Ctrl-C does: what is graded is kept
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        summary = grade_class(
            Path(args.submissions), course=Path(args.course), out=Path(args.output),
            db_url=args.db, assignment=args.assignment, students=args.student,
            workers=args.workers, scheduler=args.scheduler, limits=limits,
            sandboxed=not args.no_sandbox, force=args.force, roster=_path(args.roster),
            canary=not args.no_canary, say=lambda text: print(text, flush=True))
    except KeyboardInterrupt:
        print("aecourse grade: interrupted; every submission graded so far is saved: run the "
              "same command again to grade the rest", file=sys.stderr)
        return INTERRUPTED
    except (CanaryFailed, GraderBroken) as err:
        print(f"aecourse grade: {first_line(err, None)}", file=sys.stderr)
        return STOPPED
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"Scores: {summary.scores}; feedback: {summary.scores.parent / FEEDBACK}; "
          f"gradebook: {display_url(summary.db_url)}")
    if summary.canary_seconds:
        print(f"Canary: each assignment's solution earned full marks first "
              f"({summary.canary_seconds:.1f} s).")
    counts = summary.statuses
    print("Notebooks: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if summary.by_hand:
        print(f"{summary.by_hand} answer(s) wait for grading by hand (nbgrader's formgrader).")
    if summary.problems:
        print(f"{len(summary.problems)} notebook(s) not graded normally; see the status "
              "column of the scores.")
    if counts[Status.GRADER_ERROR]:
        print(f"aecourse grade: {counts[Status.GRADER_ERROR]} notebook(s) ended grader-error: "
              "the grader failed, not the student; fix it (see `aecourse doctor`) and run the "
              "same command again to regrade them", file=sys.stderr)
        return GRADER_ERRORS
    return GRADED_ALL


def cmd_doctor(args) -> int:
    """Is this machine ready to grade? A table of checks, each ok or a problem and its fix."""
    from .grader.doctor import checks

    limits = Limits(memory=parse_size(args.memory))
    problems = 0
    print(f"Checking this machine for grading (course: {Path(args.course).resolve()}) ...",
          flush=True)
    for check in checks(Path(args.course), db_url=args.db, limits=limits):
        problems += not check.ok
        print(f"{'ok' if check.ok else 'PROBLEM':8} {check.name:15} {check.found}", flush=True)
        if not check.ok and check.fix:
            print(f"{'':8} {'':15} fix: {check.fix}", flush=True)
    print("Ready to grade." if not problems else f"{problems} problem(s): fix them before "
          "grading a class.")
    return 1 if problems else 0


def cmd_export(args) -> int:
    """Write the LMS grades (wide) and the long CSV from the gradebook, late penalties applied."""
    from .instructor.export import export

    done = export(Path(args.course), Path(args.output), db_url=args.db,
                  assignments=args.assignment, roster=_path(args.roster),
                  feedback=args.feedback)
    print(f"Grades of {done.students} student(s) in {', '.join(done.assignments)}: "
          f"{done.wide} (one row per student, for the LMS) and {done.long} (one row per "
          "notebook).")
    for path in done.feedback:
        print(f"Feedback for {args.feedback}: {path}")
    return 0


def cmd_report(args) -> int:
    """The class at a glance: pass rate per test cell, statuses, slowest, score histograms."""
    from .instructor.report import build, not_graded

    report = build(Path(args.output), assignments=args.assignment, slowest=args.slowest)
    rows = [(c.assignment, c.notebook, c.test, f"{c.passed}/{c.graded}", f"{c.pass_rate:.0%}",
             f"{c.mean:.2f}/{c.points:g}") for c in report.cells]
    print(_table(rows, ("assignment", "notebook", "test", "passed", "rate", "mean")))
    for assignment, counts in sorted(report.statuses.items()):
        print(f"{assignment}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if report.slowest:
        r = report.slowest[0]
        print(f"Slowest: {r.student}/{r.assignment} ({r.seconds:.1f} s); see slowest.csv.")
    print(f"Report: {report.folder / 'index.html'} (histograms, cells.csv, statuses.csv, "
          "slowest.csv)")
    if not_graded(report):
        print(f"{not_graded(report)} notebook(s) without a real score (see statuses).")
    return 0


def cmd_similarity(args) -> int:
    """Pairs of submissions whose own code is suspiciously alike."""
    from .instructor.similarity import check

    notes: list[str] = []
    checks = check(Path(args.submissions), Path(args.course), Path(args.output),
                   assignment=args.assignment, threshold=args.threshold,
                   roster=_path(args.roster), notes=notes)
    for note in notes:
        print(f"note: {note}")
    for done in checks:
        print(f"{done.assignment}: {done.students} submission(s), {len(done.flagged)} pair(s) "
              f"flagged at {args.threshold:.0%} or more")
        rows = [(f"{p.a} / {p.b}", f"{p.score:.0%}", f"{p.similarity_a:.0%}",
                 f"{p.similarity_b:.0%}") for p in done.pairs[:args.top]]
        if rows:
            print(_table(rows, ("pair", "score", "of first", "of second")))
        print(f"Table: {done.csv}; flagged pairs with their lines: {done.html}")
    return 0


def _expected_errors():
    from .config.term import CourseFileError
    from .datasets import DataError
    from .grader.gradebook import GradebookError
    from .sandbox.policy import SandboxUnavailable

    return (FileNotFoundError, NotADirectoryError, PermissionError, ValueError, DataError,
            GradebookError, SandboxUnavailable, CourseFileError)


def parser() -> argparse.ArgumentParser:
    """The command line: every command, its options and their defaults."""
    from .authoring.kit import kit
    from .authoring.variants import check as variants_check
    from .grader.batch import grade_class
    from .instructor.handback import LMS
    from .instructor.report import build as report_build
    from .instructor.similarity import THRESHOLD

    top = argparse.ArgumentParser(prog="aecourse", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="download (or find) Fashion-MNIST and verify it")
    p.add_argument("--dir", help="folder to keep the files in (default: $AECOURSE_DATA or cache)")
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("check", help="run your notebook's visible tests and show your points")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.add_argument("--hidden", action="store_true",
                   help="also run the hidden tests, graded as the grader grades (needs the "
                        "instructor's notebooks, as in a clone of the course)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("release", help="regenerate lessons/ from solutions/ and verify them")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--root", default=".", help="the course folder (default: current folder)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("kit", help="write the kit a class gets (lessons, a wheel of the "
                                   "package, pinned versions, a README) as a folder and a "
                                   "zip, refused if a solution or hidden test is in it")
    p.add_argument("--root", default=str(_default(kit, "root")),
                   help="the course folder (default: current folder)")
    p.add_argument("--output", default=str(_default(kit, "out")),
                   help="the kit's folder; its zip goes beside it (default: %(default)s)")
    p.set_defaults(func=cmd_kit)

    p = sub.add_parser("variants", help="run each lesson's solution, undone exercises and "
                                        "the wrong and right answers listed in variants/, "
                                        "and check each gets what it deserves")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--root", default=".", help="the course folder (default: current folder)")
    p.add_argument("--workers", type=int, default=_default(variants_check, "workers"),
                   help="notebooks run at once")
    p.add_argument("--grader", action="store_true",
                   help="grade them as a class is graded (sandboxed kernels, gradebook, "
                        "feedback) instead of the fast forked runs")
    p.set_defaults(func=cmd_variants)

    p = sub.add_parser("grade", help="autograde a class of submissions (sandboxed, parallel)")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="an nbgrader submitted/ tree, or an LMS bulk download (a zip file or "
                        "a folder with one zip or file per student)")
    p.add_argument("--assignment", help="the assignment (required for an LMS download)")
    p.add_argument("--course", default=str(_default(grade_class, "course")),
                   help="the course folder holding solutions/")
    p.add_argument("--output", default=str(_default(grade_class, "out")),
                   help="where scores.csv and feedback/ go")
    p.add_argument("--db", help="gradebook SQLAlchemy URL (default: COURSE/gradebook.db)")
    p.add_argument("--workers", type=int, default=_default(grade_class, "workers"),
                   help="submissions graded at once")
    p.add_argument("--timeout", type=float, default=Limits.wall,
                   help=f"seconds per submission (default {Limits.wall:g})")
    p.add_argument("--cell-timeout", type=int, default=Limits.cell,
                   help=f"seconds per cell (default {Limits.cell})")
    p.add_argument("--memory", default=f"{Limits.memory >> 30}G",
                   help=f"memory (address space) per kernel (default {Limits.memory >> 30}G)")
    p.add_argument("--scheduler", help="dask.distributed scheduler address to grade on")
    p.add_argument("--student", action="append", metavar="ID",
                   help="grade only this student (repeatable)")
    p.add_argument("--force", action="store_true",
                   help="regrade submissions already graded with the same files")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without bubblewrap: student code can read and change anything "
                        "your user can")
    p.add_argument("--roster", help="class list CSV (id, name, email) mapping the ids in LMS "
                                    "file names (default: course.toml's course.roster)")
    p.add_argument("--no-canary", action="store_true",
                   help="do not grade each assignment's solution before the class (it proves "
                        "the grader works here: one notebook per assignment)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("doctor", help="check that this machine can grade: sandbox, fork "
                                      "server, a kernel with what the lessons import, data, "
                                      "gradebook, versions")
    p.add_argument("--course", default=".", help="the course folder (gradebook, lock file)")
    p.add_argument("--db", help="gradebook SQLAlchemy URL (default: COURSE/gradebook.db)")
    p.add_argument("--memory", default=f"{Limits.memory >> 30}G",
                   help=f"memory (address space) per kernel (default {Limits.memory >> 30}G)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("report", help="pass rate per test cell, statuses, slowest "
                                      "submissions and score histograms of a graded class")
    p.add_argument("--output", default=GRADED, help="the grading output folder")
    p.add_argument("--assignment", action="append", metavar="NAME",
                   help="only this assignment (repeatable)")
    p.add_argument("--slowest", type=int, default=_default(report_build, "slowest"),
                   help="how many slowest to list")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("similarity", help="flag pairs of submissions whose own code is "
                                          "suspiciously alike (code given in the release "
                                          "ignored)")
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="as for grade: a submitted/ tree or an LMS download")
    p.add_argument("--assignment", help="the assignment (required for an LMS download)")
    p.add_argument("--course", default=".", help="the course folder holding solutions/")
    p.add_argument("--output", default=GRADED, help="where similarity/ is written")
    p.add_argument("--threshold", type=float, default=THRESHOLD,
                   help=f"flag a pair when this share of either's code matches "
                        f"(default {THRESHOLD:g})")
    p.add_argument("--top", type=int, default=10, help="pairs to print (all are in the CSV)")
    p.add_argument("--roster", help="class list CSV (default: course.toml's course.roster)")
    p.set_defaults(func=cmd_similarity)

    p = sub.add_parser("export", help="grades for the LMS (one row per student, late "
                                      "penalties applied) and the long CSV, from the gradebook")
    p.add_argument("--course", default=".", help="the course folder (course.toml, gradebook)")
    p.add_argument("--output", default=GRADED, help="where grades.csv and grades-long.csv go")
    p.add_argument("--db", help="gradebook SQLAlchemy URL (default: COURSE/gradebook.db)")
    p.add_argument("--assignment", action="append", metavar="NAME",
                   help="only this assignment (repeatable; default: all in the gradebook)")
    p.add_argument("--roster", help="class list CSV (default: course.toml's course.roster)")
    p.add_argument("--feedback", choices=LMS,
                   help="also the feedback pages as this LMS takes them back: Moodle's zip "
                        "for 'upload multiple feedback files' (the roster needs a column "
                        "moodle:ASSIGNMENT of participant ids), or one page per student "
                        "named by the roster id for Canvas")
    p.set_defaults(func=cmd_export)
    return top


def main(argv=None) -> int:
    # nbgrader runs its tools (alembic) from PATH: this environment's must come first, even
    # when the command is started without activating the environment.
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except _expected_errors() as err:  # the user's to fix: one line, no traceback
        print(f"aecourse {args.command}: {first_line(err, None)}", file=sys.stderr)
        return BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
