"""The feedback pages as an LMS takes them back (``aecourse export --feedback LMS``).

``moodle``: ``feedback-moodle/<assignment>.zip``, for the assignment's *Upload multiple
feedback files in a zip*. Each participant's pages are in a folder named as Moodle's importer
reads it (``is_valid_filename_for_import`` in ``mod/assign/feedback/file/importziplib.php``):
``<Full Name>_<participant id>_assignfeedback_file_/<notebook>.html``. Moodle splits a folder
name at ``_`` and takes the second part as the participant id; names lose any ``_`` or ``/``.
The participant id is Moodle's number for the student *in that assignment* (each assignment
has its own: the number in the folder names of its *Download all submissions* zip), so the
roster needs a column ``moodle:<assignment>`` per assignment.

``canvas``: Canvas takes no feedback in bulk; ``feedback-canvas/<assignment>/`` holds one page
per student named by the roster id (``<id>.html``, or ``<id>_<notebook>.html`` for an
assignment of several notebooks), to attach by hand or through Canvas' API.

Both are rebuilt whole from the stored pages on each export: the same pages give the same
bytes.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from ..config.layout import LMS_FEEDBACK

LMS = tuple(LMS_FEEDBACK)
MOODLE_COLUMN = "moodle:{assignment}"
MOODLE_FOLDER = "{name}_{participant}_assignfeedback_file_"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip's earliest time: the same pages give the same bytes


def pages(store, students, assignment: str) -> dict[str, dict[str, bytes]]:
    """Student -> notebook -> page, of the students of ``students`` that have feedback for
    ``assignment`` in ``store`` (:class:`aecourse.grader.records.RecordStore`)."""
    found = {}
    for student in sorted(students):
        folder = store.feedback_folder(student, assignment)
        held = {p.stem: p.read_bytes() for p in sorted(folder.glob("*.html"))
                } if folder.is_dir() else {}
        if held:
            found[student] = held
    return found


def moodle_name(name: str, fallback: str) -> str:
    """A participant's name as a Moodle folder name may hold it."""
    return " ".join(re.sub(r"[_/\\]", " ", name).split()) or fallback


def moodle(out: Path, assignment: str, found: dict, roster) -> Path:
    """Write ``assignment``'s Moodle feedback zip under ``out`` from ``found`` (see
    :func:`pages`) and ``roster``; return its path."""
    column = MOODLE_COLUMN.format(assignment=assignment)
    why = (f"Moodle's participant id of each student in {assignment} (the number in the "
           "folder names of its 'Download all submissions' zip, as in "
           "'Alice Liddell_1234567_assignsubmission_file')")
    if roster is None:
        raise ValueError(f"the Moodle feedback zip needs a roster with a {column!r} column "
                         "(course.toml's course.roster, or --roster)")
    ids, people = roster.column(column, why), roster.by_id()
    unknown = sorted(s for s in found if not ids.get(s, "").isdigit())
    if unknown:
        raise ValueError(f"{roster.path}: no participant id in column {column!r} for "
                         f"{', '.join(unknown)}: {why}")
    path = out / LMS_FEEDBACK["moodle"] / f"{assignment}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for student, held in found.items():
            folder = MOODLE_FOLDER.format(name=moodle_name(people[student].name, student),
                                          participant=ids[student])
            for notebook, page in held.items():
                entry = zipfile.ZipInfo(f"{folder}/{notebook}.html", date_time=ZIP_TIME)
                entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                archive.writestr(entry, page)
    tmp.replace(path)
    return path


def canvas(out: Path, assignment: str, found: dict, several: bool) -> Path:
    """Write ``assignment``'s pages for Canvas under ``out``, one file per student named by
    the roster id (and the notebook, when the assignment has ``several``); return the
    folder."""
    folder = out / LMS_FEEDBACK["canvas"] / assignment
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for student, held in found.items():
        for notebook, page in held.items():
            (tmp / (f"{student}_{notebook}.html" if several else f"{student}.html")
             ).write_bytes(page)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def hand_back(lms: str, out: Path, store, assignments: dict, students, roster) -> list[Path]:
    """The feedback of ``students`` in ``assignments`` (name -> its notebooks) as ``lms`` (one
    of :data:`LMS`) takes it, written under ``out``; the paths written."""
    if lms not in LMS:
        raise ValueError(f"no feedback upload for {lms!r} (known: {', '.join(LMS)})")
    written = []
    for assignment in assignments:
        found = pages(store, students, assignment)
        written.append(moodle(out, assignment, found, roster) if lms == "moodle"
                       else canvas(out, assignment, found, len(assignments[assignment]) > 1))
    return written
