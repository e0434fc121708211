"""Grade a whole class: collect submissions, grade each in a sandbox, merge, report.

Each submission becomes a :class:`Job` (plain bytes in, so it can travel to another machine)
graded by :func:`grade_job`, a pure function returning a plain record. Only this process
writes the gradebook, the scores CSV and the feedback files.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Limits, run

MAX_UNZIPPED = 200 << 20  # bytes one student's zip may expand to
CSV_FIELDS = ("student", "assignment", "notebook", "score", "max", "status", "detail")


@dataclass
class Job:
    """One student's submission of one assignment, with everything needed to grade it."""

    student: str
    assignment: str
    course: dict[str, bytes]  # a prepared nbgrader course of the assignment (prepare_course)
    submission: dict[str, bytes]  # the student's files, by relative path
    limits: Limits = field(default_factory=Limits)
    hidden: tuple[str, ...] = ()  # folders the submission must not see
    problem: str = ""  # set when the submission could not even be read


def student_id(name: str) -> str:
    """A safe nbgrader student id from a file or folder name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-")
    return cleaned or "unnamed"


def read_tree(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and ".ipynb_checkpoints" not in rel.parts:
            files[rel.as_posix()] = path.read_bytes()
    return files


def _read_zip(path: Path) -> dict[str, bytes]:
    """The notebooks and other files of a student's zip, flattened; safe against zip bombs."""
    files, total = {}, 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            parts = Path(info.filename).parts
            if info.is_dir() or "__MACOSX" in parts or ".ipynb_checkpoints" in parts:
                continue
            total += info.file_size
            if total > MAX_UNZIPPED:
                raise ValueError(f"expands to more than {MAX_UNZIPPED >> 20} MiB")
            name = Path(info.filename).name  # LMS zips nest files in folders; flatten them
            if name and name not in files:
                files[name] = archive.read(info)
    return files


def collect(submissions: Path, assignment: str | None, course: Path) -> list[Job]:
    """Jobs for every submission in ``submissions``.

    ``submissions`` is either an nbgrader ``submitted/`` tree
    (``<student>/<assignment>/*.ipynb``) or a folder of zip files, one per student (the
    student id is the file name without ``.zip``; ``assignment`` must then be given).
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"no submissions folder {submissions}")
    zips = sorted(submissions.glob("*.zip"))
    prepared: dict[str, dict[str, bytes]] = {}

    def prepared_course(name):
        if name not in prepared:
            folder = course / "solutions" / name
            if not folder.is_dir():
                raise FileNotFoundError(f"no assignment {name!r}: {folder} does not exist")
            prepared[name] = prepare(folder, name)
        return prepared[name]

    jobs = []
    if zips:
        if not assignment:
            raise ValueError("grading a folder of zip files needs --assignment")
        for path in zips:
            job = Job(student_id(path.stem), assignment, prepared_course(assignment), {})
            try:
                job.submission = _read_zip(path)
            except (zipfile.BadZipFile, ValueError, OSError) as err:
                job.problem = f"unreadable zip {path.name}: {err}"
            jobs.append(job)
        return jobs
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if assignment and assignment_dir.name != assignment:
                continue
            jobs.append(Job(student_id(student_dir.name), assignment_dir.name,
                            prepared_course(assignment_dir.name), read_tree(assignment_dir)))
    if not jobs:
        raise FileNotFoundError(f"no submissions found in {submissions}")
    return jobs


def prepare(source: Path, assignment: str) -> dict[str, bytes]:
    """The files of a course prepared for grading ``assignment`` (its release and gradebook),
    made once here so that each job need not run ``generate_assignment`` again."""
    from .grading import prepare_course

    with tempfile.TemporaryDirectory(prefix="aecourse-prepare-") as tmp:
        prepare_course(Path(tmp), source, assignment)
        return read_tree(Path(tmp))


def max_points(files: dict[str, bytes]) -> dict[str, float]:
    """Notebook name -> total points, from instructor files given as {relative path: bytes}."""
    import nbformat

    points = {}
    for name, data in files.items():
        if name.endswith(".ipynb") and "/" not in name:
            cells = nbformat.reads(data.decode(), as_version=4).cells
            meta = [c.metadata.get("nbgrader", {}) for c in cells]
            points[name[:-6]] = sum(float(m.get("points", 0)) for m in meta if m.get("grade"))
    return points


def grade_job(job: Job) -> dict:
    """Grade one submission in a sandbox; a pure function of ``job``.

    Returns ``{"student", "assignment", "notebooks": [...], "feedback": {name: html}}`` where
    each notebook entry has ``notebook, score, max_score, status, detail, cells``.
    """
    record = {"student": job.student, "assignment": job.assignment, "feedback": {}}
    source = f"source/{job.assignment}/"
    maxima = max_points({name.removeprefix(source): data for name, data in job.course.items()
                         if name.startswith(source)})

    def failed(status, detail):
        record["notebooks"] = [
            {"notebook": nb, "score": 0.0, "max_score": pts, "status": status,
             "detail": detail, "cells": []}
            for nb, pts in sorted(maxima.items())
        ]
        return record

    if job.problem:
        return failed("invalid-submission", job.problem)
    with tempfile.TemporaryDirectory(prefix="aecourse-job-") as tmp:
        folder = Path(tmp)
        for base, files in (("course", job.course), ("submission", job.submission)):
            for rel, data in files.items():
                path = folder / base / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        (folder / "submission").mkdir(exist_ok=True)
        result = run(folder, job.assignment, job.student, job.limits, hidden=job.hidden)
    if "notebooks" not in result:
        return failed(result["status"], result.get("detail", ""))
    record["notebooks"] = result["notebooks"]
    record["feedback"] = result.get("feedback", {})
    return record


def merge(db_url: str, course: Path, records: list[dict]) -> None:
    """Write the records' scores into the course's nbgrader gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from .grading import prepare_course

    with tempfile.TemporaryDirectory(prefix="aecourse-merge-") as tmp:
        for assignment in sorted({r["assignment"] for r in records}):
            prepare_course(Path(tmp) / assignment, course / "solutions" / assignment,
                           assignment, db_url=db_url)
    with Gradebook(db_url) as gb:
        for record in records:
            student, assignment = record["student"], record["assignment"]
            gb.update_or_create_student(student)
            with contextlib.suppress(MissingEntry):
                gb.remove_submission(assignment, student)
            notebooks = {n.name: n for n in gb.add_submission(assignment, student).notebooks}
            for nb in record["notebooks"]:
                scores = {c["grade_id"]: c["score"] for c in nb["cells"]}
                for grade in notebooks[nb["notebook"]].grades:
                    grade.auto_score = scores.get(grade.name, 0.0)
            gb.db.commit()


def write_reports(records: list[dict], out: Path) -> Path:
    """Write ``scores.csv`` and per-student feedback HTML under ``out``; return the CSV path."""
    out.mkdir(parents=True, exist_ok=True)
    rows = io.StringIO()
    writer = csv.DictWriter(rows, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for record in sorted(records, key=lambda r: (r["student"], r["assignment"])):
        for nb in record["notebooks"]:
            writer.writerow({"student": record["student"], "assignment": record["assignment"],
                             "notebook": nb["notebook"], "score": f"{nb['score']:g}",
                             "max": f"{nb['max_score']:g}", "status": nb["status"],
                             "detail": nb.get("detail", "")})
        folder = out / "feedback" / record["student"] / record["assignment"]
        shutil.rmtree(folder, ignore_errors=True)
        for name, html in record.get("feedback", {}).items():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.html").write_text(html)
    path = out / "scores.csv"
    path.write_text(rows.getvalue())
    return path


def grade_all(jobs: list[Job], workers: int = 1, scheduler: str | None = None,
              progress: bool = True) -> list[dict]:
    """Grade ``jobs`` with ``workers`` local threads (each drives a sandboxed process), or on
    the dask.distributed cluster at ``scheduler``; return the records in job order."""
    from tqdm.auto import tqdm

    records: list[dict | None] = [None] * len(jobs)
    bar = tqdm(total=len(jobs), unit="submission", disable=not progress)
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            futures = client.map(grade_job, jobs, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for future in dask_completed(futures):
                records[index[future.key]] = future.result()
                bar.update()
    else:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(grade_job, job): i for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                records[futures[future]] = future.result()
                bar.update()
    bar.close()
    return records
