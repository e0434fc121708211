"""``aecourse doctor``: is this machine ready to grade? Each check says ok, or the problem and
its fix. The kernel check grades a small notebook through the grader's own path (sandbox,
fork server, limits) and judges it as the canary judges an assignment's solution."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..config.layout import LOCK, SOLUTIONS, Course
from ..config.limits import Limits
from ..config.text import first_line
from ..runtime import LESSON_IMPORTS
from ..sandbox import forkserver, policy

PROBE = "doctor"  # the probe assignment's name, and its student's


@dataclass
class Check:
    """One check: what it found, and what to do when it is a problem."""

    name: str
    ok: bool
    found: str
    fix: str = ""


def _probe_notebook():
    """A notebook that loads what every lesson loads, runs a Keras operation and passes one
    test: what any lesson's kernel must manage."""
    import nbformat

    def cell(source, **meta):
        made = nbformat.v4.new_code_cell(source)
        made.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                     "schema_version": 3, "task": False, **meta}
        return made

    imports = ", ".join(f"'{m}'" for m in LESSON_IMPORTS)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        cell("import importlib, aecourse\ntf = aecourse.quiet_tensorflow()\n"
             f"for name in ({imports}):\n    importlib.import_module(name)",
             grade_id="imports"),
        cell("def total():\n    ### BEGIN SOLUTION\n    import keras\n"
             "    return float(keras.ops.sum(keras.ops.ones(3)))\n    ### END SOLUTION",
             grade_id="answer", solution=True, locked=False),
        cell("assert total() == 3.0", grade_id="test_total", grade=True, points=1)]
    return nb


def kernel_check(limits: Limits, sandboxed: bool) -> Check:
    """Grade the probe notebook as a student's, twice, in the grader's sandbox and limits:
    the first kernel loads what the lessons import, the second shows a class's pace."""
    import nbformat

    from .intake import Submission
    from .job import CANARY, Job, PreparedCourses, canary_problem, grade_job

    waits = []
    with tempfile.TemporaryDirectory(prefix="aecourse-doctor-") as tmp:
        folder = Path(tmp) / SOLUTIONS / PROBE
        folder.mkdir(parents=True)
        nbformat.write(_probe_notebook(), folder / f"{PROBE}.ipynb")
        prepared = PreparedCourses(Path(tmp))
        for _ in range(2):
            job = prepared.fill(Job(Submission(CANARY, PROBE, {}), "", limits,
                                    "bwrap" if sandboxed else "limits"))
            record = grade_job(job)
            problem = canary_problem(record)
            if problem:
                return Check("grading kernel", False, problem, "`aecourse grade` would stop "
                             "at its canary here: fix what the problem names")
            waits.append(record.timings.get("kernel_wait_s", 0.0))
    return Check("grading kernel", True, f"imports what the lessons import and passes a test "
                 f"({'sandboxed' if sandboxed else 'NOT sandboxed'}); a kernel is ready in "
                 f"{waits[-1]:.1f} s ({waits[0]:.1f} s for the first)")


def _sandbox() -> Check:
    problem = policy.problem()
    if problem:
        return Check("sandbox", False, problem, policy.INSTALL_HINT)
    return Check("sandbox", True, "bubblewrap isolates a kernel here")


def _fork_server() -> Check:
    if not forkserver.usable():
        return Check("fork server", True, "not used: kernels start one by one (forking needs "
                     "root, bubblewrap, and AECOURSE_FORKSERVER not 0)")
    server = forkserver.current()
    if server is None or not server.ready():
        why = server.problem if server is not None else "it did not start"
        return Check("fork server", False, f"its self-test failed: {why}",
                     "set AECOURSE_FORKSERVER=0 to start kernels one by one")
    return Check("fork server", True, "started, and its self-test isolated a forked kernel")


def _data() -> Check:
    from ..datasets.fashion_mnist import data_folder

    folder = data_folder()
    if folder is None:
        return Check("data", False, "no full Fashion-MNIST here: lessons would use the "
                     "bundled sample (3,000 images)", "run `aecourse data`, or set "
                     "AECOURSE_DATA to a folder with the four IDX files")
    return Check("data", True, f"Fashion-MNIST in {folder}")


def _gradebook(course: Path, db_url: str | None) -> Check:
    from .gradebook import GradebookError, display_url, normalize_url, opened

    try:
        url = normalize_url(db_url or Course(course).gradebook_url)
        with opened(url):
            pass
    except GradebookError as err:
        return Check("gradebook", False, first_line(err), "name a writable one with --db")
    return Check("gradebook", True, f"{display_url(url)} opens for writing")


def _versions(course: Path) -> Check:
    import importlib.metadata

    from packaging.requirements import Requirement

    lock = Path(course) / LOCK
    if not lock.is_file():
        return Check("versions", True, f"no {LOCK} here: versions not compared")
    wrong = []
    for line in lock.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        wanted = Requirement(line)
        if wanted.marker is not None and not wanted.marker.evaluate():
            continue
        try:
            have = importlib.metadata.version(wanted.name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an extra this environment does not have
        if not wanted.specifier.contains(have, prereleases=True):
            wrong.append(f"{wanted.name} {have} (locked {wanted.specifier})")
    if wrong:
        return Check("versions", False, f"{len(wrong)} differ from {LOCK}: "
                     + ", ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else ""),
                     f"pip install -c {LOCK} -e . (what `python3 run.py` does)")
    return Check("versions", True, f"as in {LOCK}")


def checks(course: Path = Path("."), db_url: str | None = None,
           limits: Limits | None = None) -> Iterator[Check]:
    """Every check, one at a time (the slow ones last)."""
    sandbox = _sandbox()
    yield sandbox
    yield _versions(course)
    yield _data()
    yield _gradebook(course, db_url)
    with forkserver.shared() if sandbox.ok else contextlib.nullcontext():
        yield _fork_server()
        yield kernel_check(limits or Limits(), sandboxed=sandbox.ok)
