"""nbgrader's exchange end to end, as a JupyterHub class uses it: the instructor releases the
toy lesson, two students fetch it, answer and submit, the instructor collects, grades with
``aecourse grade`` and runs ``nbgrader release_feedback``; each student's ``fetch_feedback``
gets their own page, the one ``aecourse grade`` wrote, and nobody else's.

As root each student is a user of their own (a uid with no account: nbgrader is told who they
are with ``--student``, as it is on a hub), with a private home, so that one student cannot
read another's files or list the exchange's feedback. Not root, every command runs as this
user with a home per student, as nbgrader's own tests do: the pages are still told apart
only by each submission's secret.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from aecourse.cli import main

from .conftest import ROOT
from .test_grade import LIMITS, SANDBOX_ARGS, nb_bytes, solved, toy_source

COURSE_ID = "aecourse"  # what the course's nbgrader_config.py sets
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
AS_ROOT = os.geteuid() == 0
ANSWERS = {"alice": "    return x * x", "bob": "    return 9 if x == 3 else 0"}
SCORES = {"alice": "Score: 3 / 3 points", "bob": "Score: 2 / 3 points"}


def free_uids(count: int) -> list[int]:
    """uids that no account uses."""
    found = []
    for uid in range(61000, 62000):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            found.append(uid)
            if len(found) == count:
                return found
    raise AssertionError("no free uid")


class Person:
    """Someone running nbgrader's commands: the instructor in the course folder, or a
    student in their home."""

    def __init__(self, name: str, cwd: Path, uid: int | None = None, home: Path | None = None):
        self.name, self.cwd, self.uid, self.home = name, cwd, uid, home or cwd

    def env(self) -> dict[str, str]:
        path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
        return {"PATH": path, "HOME": str(self.home), "LANG": "C.UTF-8",
                "PYTHONPATH": os.environ.get("PYTHONPATH", "")}

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        who = ({"user": self.uid, "group": self.uid, "extra_groups": []}
               if self.uid is not None else {})
        done = subprocess.run(argv, cwd=self.cwd, env=self.env(), capture_output=True,
                              text=True, timeout=600, **who)
        if check:
            assert done.returncode == 0, f"{self.name}: {argv}\n{done.stdout}{done.stderr}"
        return done

    def nbgrader(self, command: str, *args: str, exchange: Path) -> str:
        student = ["--student", self.name] if self.name != "instructor" else []
        course = ["--course", COURSE_ID] if self.name != "instructor" else []
        done = self.run(NBGRADER, command, "toy", *course, *student,
                        f"--Exchange.root={exchange}")
        return done.stdout + done.stderr

    def give(self, path: Path, data: bytes) -> None:
        path.write_bytes(data)
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """The whole cycle once; yields (course, exchange, students)."""
    # pytest's own temporary folders are private to this user: the students need a way in
    top = Path(tempfile.mkdtemp(prefix="aecourse-test-exchange-"))
    try:
        os.chmod(top, 0o755)
        course, exchange = top / "course", top / "exchange"
        (course / "solutions" / "toy").mkdir(parents=True)
        import nbformat

        nbformat.write(toy_source(), course / "solutions" / "toy" / "toy.ipynb")
        shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        assert main(["release", "toy", "--root", str(course)]) == 0
        exchange.mkdir(mode=0o777)
        os.chmod(exchange, 0o777)  # as a hub's /srv/nbgrader/exchange is
        instructor = Person("instructor", course)
        uids = free_uids(len(ANSWERS)) if AS_ROOT else [None] * len(ANSWERS)
        students = {}
        for name, uid in zip(ANSWERS, uids, strict=True):
            home = top / f"home-{name}"
            home.mkdir(mode=0o700)
            if uid is not None:
                os.chown(home, uid, uid)
            students[name] = Person(name, home, uid)

        instructor.nbgrader("release_assignment", exchange=exchange)
        for name, student in students.items():
            student.nbgrader("fetch_assignment", exchange=exchange)
            fetched = student.home / "toy" / "toy.ipynb"
            assert fetched.is_file()
            student.give(fetched, nb_bytes(solved(course, ANSWERS[name])))
            student.nbgrader("submit", exchange=exchange)
        instructor.nbgrader("collect", exchange=exchange)
        assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(ANSWERS)
        assert main(["grade", str(course / "submitted"), "--course", str(course), "--output",
                     str(course / "graded"), "--no-canary", *LIMITS, *SANDBOX_ARGS]) == 0
        instructor.nbgrader("release_feedback", exchange=exchange)
        for student in students.values():
            student.nbgrader("fetch_feedback", exchange=exchange)
        yield course, exchange, students
    finally:
        shutil.rmtree(top, ignore_errors=True)


def fetched_pages(student: Person) -> dict[str, bytes]:
    """What ``fetch_feedback`` put in the student's home: relative path -> bytes."""
    folder = student.home / "toy" / "feedback"
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_each_student_fetches_their_own_page_and_nobody_elses(term):
    course, _, students = term
    pages = {}
    for name, student in students.items():
        got = fetched_pages(student)
        assert len(got) == 1, got.keys()  # one page, in a folder named by the submission time
        (path, page), = got.items()
        assert path.endswith("/toy.html")
        graded = course / "graded" / "feedback" / name / "toy" / "toy.html"
        assert page == graded.read_bytes(), f"{name} got another page than aecourse wrote"
        said = " ".join(re.sub(r"<[^>]+>", " ", page.decode()).split())
        assert SCORES[name] in said, f"{name}'s page starts with their own summary"
        pages[name] = page
    assert pages["alice"] != pages["bob"]


def test_the_exchange_holds_each_page_under_its_submission_secret(term):
    _, exchange, students = term
    released = sorted(p.name for p in (exchange / COURSE_ID / "feedback").iterdir())
    expected = []
    for student in students.values():  # as nbgrader's notebook_hash(secret, notebook_id)
        (secret,) = (student.home / ".local" / "share" / "jupyter" / "nbgrader_cache"
                     / COURSE_ID).glob("*/submission_secret.txt")
        expected.append(hashlib.md5(secret.read_bytes() + b"toy").hexdigest() + ".html")
    assert released == sorted(expected)


def test_one_copy_of_each_page_in_the_course(term):
    course, _, _ = term
    assert not (course / "feedback").exists(), "nbgrader's default folder stays unused"
    kept = sorted(p.relative_to(course / "graded" / "feedback").as_posix()
                  for p in (course / "graded" / "feedback").rglob("*") if p.is_file())
    assert kept == [f"{s}/toy/{f}" for s in sorted(ANSWERS)
                    for f in ("submission_secret.txt", "timestamp.txt", "toy.html")]


@pytest.mark.skipif(not AS_ROOT, reason="students are users of their own only as root")
def test_a_student_cannot_list_the_released_feedback(term):
    _, exchange, students = term
    done = students["alice"].run(sys.executable, "-c", "import os, sys; "
                                 "print(os.listdir(sys.argv[1]))",
                                 str(exchange / COURSE_ID / "feedback"), check=False)
    assert done.returncode != 0 and "PermissionError" in done.stderr, done.stdout
