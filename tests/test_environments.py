"""The grader works wherever its Python environment lives: under ``/tmp``, in a home folder,
as root (kernels forked from the fork server) and not (kernels one by one), with modules
imported only after the kernel started; and still shows the kernel nothing else of the
instructor's files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from aecourse.sandbox import forkserver, policy

from .conftest import ROOT
from .test_cli import cell

SANDBOX = policy.problem()
UID = 4242  # the instructor who is not root (no passwd entry needed)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(SANDBOX), reason=f"needs the grading sandbox: {SANDBOX}"),
    pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux's"),
]
SECRET = "instructor-secret-3f1d"


def source():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        # modules that no kernel imports before student code runs
        cell("code", "from IPython.core import debugger\nimport sklearn.decomposition\n"
                     "import aecourse.datasets\nimport glob, os",
             grade_id="setup", locked=True),
        cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                     "    ### END SOLUTION", grade_id="ex_double", solution=True),
        cell("code", "assert double(2) == 4", grade_id="test_double", grade=True,
             locked=True, points=2),
        cell("code", "seen = [p for p in glob.glob('/tmp/**', recursive=True)\n"
                     "        + glob.glob('/home/**', recursive=True)\n"
                     "        if 'secret' in os.path.basename(p)]\n"
                     "assert not seen, seen", grade_id="test_sees_nothing", grade=True,
             locked=True, points=1),
    ]
    return nb


def environment(where: Path) -> Path:
    """A copy of this test's Python environment at ``where`` (hard links where it can), with
    the ``aecourse`` package installed in it rather than linked to this checkout."""
    copy = ["cp", "-al"] if os.stat(sys.prefix).st_dev == os.stat(where).st_dev else ["cp", "-a"]
    subprocess.run([*copy, sys.prefix, str(where / ".venv")], check=True)
    site = next((where / ".venv" / "lib").glob("python3*/site-packages"))
    for finder in [*site.glob("__editable__*aecourse*"), site / "aecourse"]:
        if finder.is_file():
            finder.unlink()
    shutil.copytree(ROOT / "aecourse", site / "aecourse",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return where / ".venv" / "bin" / "python"


def course(where: Path) -> Path:
    root = where / "course"
    (root / "solutions" / "anywhere").mkdir(parents=True)
    nbformat.write(source(), root / "solutions" / "anywhere" / "anywhere.ipynb")
    nb = source()
    nb.cells[1].source = "def double(x):\n    return x + x"
    student = root / "submitted" / "alice" / "anywhere"
    student.mkdir(parents=True)
    nbformat.write(nb, student / "anywhere.ipynb")
    (where / "notes-secret.txt").write_text(SECRET)  # beside the environment and the course
    return root


# What grading needs of the interpreter, as another user: its compiled standard modules (an
# interpreter installed in root's home may hide them) and the sandbox.
PROBE = ("import unicodedata, soupsieve; soupsieve.compile('img:not([alt])'); "
         "import aecourse.sandbox.policy as p; print(p.problem())")


def grade(python: Path, root: Path, env: dict, user: int | None = None):
    out = root / "graded"
    proc = subprocess.run(
        [str(python), "-m", "aecourse.cli", "grade", str(root / "submitted"), "--course",
         str(root), "--output", str(out), "--timeout", "120", "--memory", "4G"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
        user=user, group=user, extra_groups=[] if user is not None else None)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    record = json.loads(next((out / "records").glob("run-*.jsonl")).read_text().splitlines()[-1])
    assert (out / "feedback").is_dir(), json.dumps(record)[:3000]
    return record, (out / "feedback" / "alice" / "anywhere" / "anywhere.html").read_text()


@pytest.mark.parametrize("place,user,forked", [
    ("tmp", None, True), ("home", None, True), ("home", UID, False)],
    ids=["tmp-root-forked", "home-root-forked", "home-user-one-by-one"])
def test_a_correct_submission_earns_full_marks_wherever_the_environment_is(place, user,
                                                                           forked):
    if forked and not forkserver.usable():
        pytest.skip("kernels are forked only as root with a working sandbox")
    top = Path("/tmp") if place == "tmp" else Path("/home")
    where = Path(tempfile.mkdtemp(prefix="aecourse-anywhere-", dir=top))
    try:
        python = environment(where)
        root = course(where)
        env = {"PATH": f"{python.parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": str(where), "AECOURSE_BUDGET": "grading"}
        if not forked:
            env["AECOURSE_FORKSERVER"] = "0"
        if user is not None:  # the course is theirs; the environment only readable (links!)
            for path in [where, *[p for p in root.rglob("*")], root]:
                os.chown(path, user, user)
            probe = subprocess.run([str(python), "-c", PROBE], env=env, user=user, group=user,
                                   extra_groups=[], capture_output=True, text=True)
            if probe.returncode or probe.stdout.strip():
                pytest.skip(f"this Python or the sandbox does not work for a user who is not "
                            f"root here: {(probe.stdout + probe.stderr).strip()[-300:]}")
        record, page = grade(python, root, env, user)
        notebook = record["notebooks"][0]
        assert (notebook["score"], notebook["status"]) == (3.0, "graded"), notebook
        assert SECRET not in page
    finally:
        shutil.rmtree(where, ignore_errors=True)
