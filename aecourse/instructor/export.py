"""``aecourse export``: the gradebook as the LMS wants it.

Two files under the output folder, both sorted and with fixed number formatting, so that the
same gradebook always gives the same bytes:

``grades.csv`` (wide)
    one row per student (the roster's and every student in the gradebook), one column per
    assignment holding the score after the late penalty, and the total::

        id,name,email,01_intro,02_pca,total
        alice,Alice Liddell,alice@example.org,3.00,2.70,5.70

    A student with no submission of an assignment gets 0.00. LMS gradebook imports (Moodle,
    Blackboard, Canvas' generic import) map the ``id`` or ``email`` column to their students.

``grades-long.csv``
    one row per student and notebook: the columns of ``scores.csv`` (score before the
    penalty, status and detail from this output folder's records), then how many seconds
    late and the late penalty in points.

Scores come from the gradebook, so manual grades and extra credit count. Before writing, the
due dates, extensions and late penalties in the gradebook are brought in line with the course
file, and the summary heading each feedback page (with its late-work notice) is made again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import term as terms
from ..config.layout import GRADEBOOK, GRADED, Course
from ..grader import gradebook, records
from ..grader.results import Status
from . import handback

WIDE = "grades.csv"
LONG = "grades-long.csv"
LONG_FIELDS = (*records.CSV_FIELDS, "seconds_late", "late_penalty")


def points(value: float) -> str:
    """Points as exported: two decimals, never ``-0.00``."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


@dataclass
class Exported:
    wide: Path
    long: Path
    students: int
    assignments: list[str]
    feedback: list[Path] = field(default_factory=list)  # the LMS's feedback upload, if asked


def export(course: Path = Path("."), out: Path = Path(GRADED), db_url: str | None = None,
           assignments=None, term: terms.Term | None = None,
           roster: Path | None = None, feedback: str | None = None) -> Exported:
    """Write ``grades.csv`` and ``grades-long.csv`` under ``out`` from the gradebook
    (``db_url``, default ``course/gradebook.db``); see the module's description. With
    ``feedback`` (an LMS of :data:`aecourse.instructor.handback.LMS`), also the feedback pages
    as that LMS takes them back (see :mod:`aecourse.instructor.handback`)."""
    course, out = Path(course).resolve(), Path(out).resolve()
    if db_url is None and not (course / GRADEBOOK).is_file():
        raise FileNotFoundError(f"no gradebook {course / GRADEBOOK}: grade first "
                                "(aecourse grade), or name it with --db")
    db_url = gradebook.normalize_url(db_url or Course(course).gradebook_url)
    term = term if term is not None else terms.load(course)
    class_list = term.roster(roster)
    gradebook.apply_term(db_url, term)
    held = gradebook.contents(db_url)
    names = sorted(held.assignments)
    if assignments:
        unknown = sorted(set(assignments) - set(names))
        if unknown:
            raise ValueError(f"the gradebook has no assignment {', '.join(unknown)} (it has: "
                             f"{', '.join(names) or 'none'})")
        names = sorted(set(assignments))
    if not names:
        raise ValueError(f"the gradebook {gradebook.display_url(db_url)} holds no assignment "
                         "yet: grade first (aecourse grade)")

    store = records.RecordStore(out)
    kept = store.load()
    people = class_list.by_id() if class_list else {}
    submitted = {(s.student, s.assignment): s for s in held.submissions
                 if s.assignment in names}
    students = sorted(set(people) | {s for s, _ in submitted})

    wide, long = [], []
    for student in students:
        who = people.get(student, terms.Student(student))
        row = {"id": student, "name": who.name, "email": who.email}
        total = 0.0
        for assignment in names:
            sub = submitted.get((student, assignment))
            if sub is None:
                for notebook, most in sorted(held.assignments[assignment].items()):
                    long.append(_long_row(student, assignment, notebook, 0.0, most,
                                          Status.NO_SUBMISSION.value, "", "", 0.0, 0.0))
                row[assignment] = points(0.0)
                continue
            record = kept.get((student, assignment))
            status = {n.notebook: (n.status.value, n.detail)
                      for n in (record.notebooks if record else [])}
            final = 0.0
            for nb in sub.notebooks:
                state, detail = status.get(nb.name, ("", ""))
                long.append(_long_row(student, assignment, nb.name, nb.score, nb.max_score,
                                      state, detail, sub.timestamp, sub.seconds_late,
                                      nb.penalty))
                final += nb.score - nb.penalty
            final = round(max(0.0, final), 2)
            row[assignment] = points(final)
            total += final
            if record is not None:
                store.finish(record, term)
        row["total"] = points(total)
        wide.append(row)
    done = Exported(records.write_csv(out / WIDE, ("id", "name", "email", *names, "total"),
                                      wide),
                    records.write_csv(out / LONG, LONG_FIELDS, long), len(students), names)
    if feedback:
        done.feedback = handback.hand_back(feedback, out, store,
                                           {name: held.assignments[name] for name in names},
                                           students, class_list)
    return done


def _long_row(student, assignment, notebook, score, most, status, detail, timestamp,
              seconds_late, penalty) -> dict:
    return {"student": student, "assignment": assignment, "notebook": notebook,
            "score": points(score), "max": points(most), "status": status, "detail": detail,
            "timestamp": timestamp, "seconds_late": f"{seconds_late:.0f}",
            "late_penalty": points(penalty)}
