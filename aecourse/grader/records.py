"""Grading output that survives interruption: one record file per run, feedback files and the
scores CSV, under the output folder (``graded/`` by default: see aecourse.config.layout).

Every record is appended (and flushed to disk) the moment it is graded, so a run stopped at
submission 190 of 200 keeps 190; the next run reads all earlier record files and skips what is
already graded with the same bytes against the same course version.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
from pathlib import Path

from ..config.layout import FEEDBACK, RECORDS
from . import summary
from .intake import SECRET_FILE, TIMESTAMP_FILE
from .results import Status, SubmissionRecord

CSV_FIELDS = ("student", "assignment", "notebook", "score", "max", "status", "detail",
              "timestamp")


class RecordStore:
    """The records of every run under ``out``, and the file this run appends to."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.folder = self.out / RECORDS
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        self.path = self.folder / f"run-{stamp}-{os.getpid()}.jsonl"

    def load(self) -> dict[tuple[str, str], SubmissionRecord]:
        """(student, assignment) -> its latest record, from all runs so far."""
        latest = {}
        for path in sorted(self.folder.glob("run-*.jsonl")):
            for line in path.read_text().splitlines():
                try:
                    record = SubmissionRecord.from_dict(json.loads(line))
                except (ValueError, TypeError, KeyError):
                    continue  # the last line of a run killed while writing it
                latest[(record.student, record.assignment)] = record
        return latest

    def feedback_folder(self, student: str, assignment: str) -> Path:
        return self.out / FEEDBACK / student / assignment

    def finish(self, record: SubmissionRecord, term) -> None:
        """Head the stored feedback pages of ``record`` with their summary under ``term``
        (due dates and extensions may have moved), replacing what an earlier run wrote."""
        folder = self.feedback_folder(record.student, record.assignment)
        for page in sorted(folder.glob("*.html")) if folder.is_dir() else []:
            before = page.read_text()
            after = summary.finish(before, record, page.stem, term)
            if after != before:
                tmp = page.with_suffix(".html.part")
                tmp.write_text(after)
                tmp.replace(page)

    def append(self, record: SubmissionRecord) -> None:
        """Keep ``record`` durably: its feedback files first, then its line in the run file.

        The feedback folder is laid out as nbgrader's (``feedback/<student>/<assignment>/``):
        with a submission from nbgrader's exchange, its secret and time go beside the pages,
        where ``nbgrader release_feedback`` reads them.
        """
        folder = self.feedback_folder(record.student, record.assignment)
        shutil.rmtree(folder, ignore_errors=True)
        for name, html in record.feedback.items():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.html").write_text(html)
        if record.feedback and record.secret:
            (folder / SECRET_FILE).write_text(record.secret)
            (folder / TIMESTAMP_FILE).write_text(record.timestamp)
        with open(self.path, "a") as f:
            f.write(json.dumps(record.to_dict(feedback=False)) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def write_scores(self, records) -> Path:
        """Write ``scores.csv`` (one row per notebook) from ``records``; return its path."""
        rows = []
        for record in sorted(records, key=lambda r: (r.student, r.assignment)):
            for nb in record.notebooks:
                rows.append({"student": record.student, "assignment": record.assignment,
                             "notebook": nb.notebook, "score": f"{nb.score:g}",
                             "max": f"{nb.max_score:g}", "status": nb.status.value,
                             "detail": nb.detail, "timestamp": record.timestamp})
        return write_csv(self.out / "scores.csv", CSV_FIELDS, rows)


def write_csv(path: Path, fields, rows) -> Path:
    """Write ``rows`` (dicts) under the header ``fields`` to ``path``, replacing it whole
    (never half-written); return ``path``."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(fields))
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text.getvalue(), encoding="utf-8")
    tmp.replace(path)
    return path


def up_to_date(record: SubmissionRecord | None, submission_hash: str, version: str) -> bool:
    """Whether ``record`` graded these very bytes against this course version, and the
    grader did not fail on them (a grader error is graded again)."""
    return (record is not None and record.submission_hash == submission_hash
            and record.course_version == version
            and not any(n.status == Status.GRADER_ERROR for n in record.notebooks))
