"""The summary that heads each feedback page: score, late penalty, status and points per
test cell (answers graded by hand marked as such), then the late-work notice.

It is put in where a page is finished (as it is graded, and again when a later run skips it
or an export refreshes it, since due dates and extensions may have moved), and it replaces
the one an earlier run put there: a page never holds two.
"""

from __future__ import annotations

import html
import re

from .feedback import NOTICE
from .results import NotebookResult, SubmissionRecord

START = '<div class="aecourse-summary" id="aecourse-summary">'
END = "<!-- /aecourse-summary -->"
BLOCK = re.compile(r"\n?" + re.escape(START) + r".*?" + re.escape(END) + r"\n?", re.S)
BY_HAND = "to be graded by hand"


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def block(record: SubmissionRecord, notebook: NotebookResult, term) -> str:
    """The summary of ``notebook`` of ``record`` under ``term``'s due dates and late policy
    (:class:`aecourse.config.term.Term`), as HTML."""
    late = term.seconds_late(record.student, record.assignment, record.timestamp)
    fraction = term.late.fraction(late)
    penalty = term.late.penalty(notebook.score, late)
    waiting = sum(c.max_score for c in notebook.by_hand)
    score = f"{_points(notebook.score)} / {_points(notebook.max_score)} points"
    if waiting:
        score += f" (up to {_points(waiting)} more {BY_HAND})"
    lines = [f"<p><strong>Score:</strong> {score}</p>"]
    if penalty > 0:
        after = max(0.0, notebook.score - penalty)
        lines.append(f"<p><strong>Late penalty:</strong> {_points(penalty)} points "
                     f"({fraction:.0%}): {_points(after)} / {_points(notebook.max_score)} "
                     "points after it</p>")
    else:
        lines.append("<p><strong>Late penalty:</strong> none</p>")
    status = notebook.status.value + (f": {notebook.detail}" if notebook.detail else "")
    lines.append(f"<p><strong>Status:</strong> {html.escape(status)}</p>")
    if notebook.cells:
        rows = "".join(
            f"<tr><td>{html.escape(c.grade_id)}</td><td>"
            + (f"{BY_HAND} (up to {_points(c.max_score)})" if c.manual
               else f"{_points(c.score)} / {_points(c.max_score)}") + "</td></tr>"
            for c in notebook.cells)
        lines.append("<table><tr><th>Exercise (test cell)</th><th>Points</th></tr>"
                     f"{rows}</table>")
    notice = term.late_notice(record.student, record.assignment, record.timestamp)
    if notice:
        lines.append(f'<p class="late-penalty" id="aecourse-late" style="color: #d2413a">'
                     f"{html.escape(notice)}</p>")
    return START + "\n" + "\n".join(lines) + "\n</div>" + END + "\n"


def with_summary(page: str, summary: str) -> str:
    """Feedback ``page`` (HTML) with ``summary`` under its title, in place of the summary (or
    the lone late notice of older pages) that was there; ``summary`` empty removes it."""
    page = NOTICE.sub("", BLOCK.sub("", page))
    if not summary:
        return page
    title = page.find("</h4>")
    at = title + len("</h4>") if title >= 0 else page.find(">", page.find("<body")) + 1
    return page[:at] + "\n" + summary + page[at:]


def finish(page: str, record: SubmissionRecord, notebook: str, term) -> str:
    """``page``, the feedback of ``record``'s ``notebook``, headed by its summary under
    ``term``."""
    found = next((nb for nb in record.notebooks if nb.notebook == notebook), None)
    return with_summary(page, block(record, found, term) if found is not None else "")
