"""Feedback that keeps the hidden tests hidden.

nbgrader's feedback shows every test cell as it ran, hidden tests included. Here, before
nbgrader renders it, the autograded notebook is rewritten: each test cell shows its name, its
points (nbgrader adds them), the released (visible) part of its code and the first line of its
failure; the student's own cells keep their code and outputs, with any line that quotes a
hidden test removed and only inert output types kept.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..config.text import first_line

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*$(.*?)^[ \t]*### END HIDDEN TESTS",
                    re.M | re.S)
REMOVED = "[line removed from feedback: it quotes a hidden test]"
BY_HAND = "To be graded by hand: your instructor will grade this answer."
SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
MIN_LINE = 8  # shorter hidden-test lines (``pass``, ``)``) say nothing
# the late-work notice as pages before the summary held it alone (see summary.py)
NOTICE = re.compile(r'<p class="late-penalty" id="aecourse-late"[^>]*>.*?</p>\n?', re.S)


def squash(text: str) -> str:
    """``text`` with every run of white space one space: how lines are compared."""
    return " ".join(text.split())


def hidden_lines(source, release) -> set[str]:
    """The lines of ``source``'s hidden tests (notebook nodes) that ``release`` does not show."""
    public = {squash(line) for cell in release.cells for line in cell.source.splitlines()}
    lines = set()
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            for block in HIDDEN.findall(cell.source):
                lines.update(squash(line) for line in block.splitlines())
    return {line for line in lines - public if len(line) >= MIN_LINE}


def course_hidden_lines(course: Path, assignment: str) -> set[str]:
    """The hidden-test lines of every notebook of ``assignment`` in the private course at
    ``course`` (see :func:`aecourse.grader.autograde.prepare_course`)."""
    import nbformat

    from .autograde import RELEASE, SOURCE

    lines = set()
    for path in sorted((course / SOURCE / assignment).glob("*.ipynb")):
        release = course / RELEASE / assignment / path.name
        if release.is_file():
            lines |= hidden_lines(nbformat.read(path, as_version=4),
                                  nbformat.read(release, as_version=4))
    return lines


def scrub(text: str, hidden: set[str]) -> str:
    """``text`` with every line that contains a hidden-test line replaced by a notice."""
    if not hidden or not text:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        squashed = squash(line)
        if any(h in squashed for h in hidden):
            line = REMOVED + ("\n" if line.endswith("\n") else "")
        out.append(line)
    return "".join(out)


def _safe_output(output, hidden):
    kind = output.get("output_type")
    if kind == "stream":
        output.text = scrub(output.get("text", ""), hidden)
        return output
    if kind == "error":
        output.evalue = scrub(str(output.get("evalue", "")), hidden)
        output.traceback = [scrub(line, hidden) for line in output.get("traceback", [])]
        return output
    data = {k: v for k, v in output.get("data", {}).items() if k in SAFE_MIME}
    if "text/plain" in data:
        plain = data["text/plain"]
        data["text/plain"] = scrub("".join(plain) if isinstance(plain, list) else plain, hidden)
    if not data:
        return None
    output.data = data
    output.metadata = {}
    return output


def safe_notebook(nb, release, hidden: set[str], messages: dict[str, str],
                  waiting=frozenset()):
    """Rewrite the autograded notebook ``nb`` (in place) for feedback; return it.

    ``release`` is the released notebook, ``messages`` grade_id -> one-line failure,
    ``waiting`` the grade_ids of answers not yet graded by hand (the student's answer shows,
    marked as such).
    """
    from nbformat.v4 import new_output

    from .autograde import by_hand, is_test

    released = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in release.cells}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if is_test(cell):
            grade_id = meta.get("grade_id", "")
            visible = released.get(grade_id)
            code = visible.source if visible is not None else ""
            cell.source = f"# Test cell {grade_id} (hidden tests, if any, not shown)\n{code}"
            message = scrub(messages.get(grade_id, ""), hidden)
            cell.outputs = [new_output("stream", name="stdout", text=message + "\n")
                            ] if message else []
            continue
        cell.source = scrub(cell.source, hidden)
        if cell.cell_type == "code":
            cell.outputs = [o for o in (_safe_output(o, hidden) for o in cell.outputs) if o]
        cell.pop("attachments", None)
        if by_hand(cell) and meta.get("grade_id") in waiting:
            if cell.cell_type == "code":
                cell.outputs.append(new_output("stream", name="stdout", text=BY_HAND + "\n"))
            else:
                cell.source += f"\n\n*{BY_HAND}*"
    return nb


def render(api, assignment: str, student: str, messages: dict[str, str],
           waiting=frozenset()) -> dict[str, str]:
    """Safe feedback HTML for ``student``'s autograded notebooks in ``api``'s course.

    ``messages`` maps each test cell's grade_id to its one-line failure, ``waiting`` holds
    the answers still to be graded by hand. Returns notebook name -> HTML.
    """
    import nbformat

    coursedir = api.coursedir
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    graded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    notebooks = [p for p in sorted(graded.glob("*.ipynb")) if (source / p.name).is_file()]
    if not notebooks:  # nothing ran (no valid notebook, or the kernel died): no feedback
        return {}
    for path in notebooks:
        released = nbformat.read(release / path.name, as_version=4)
        hidden = hidden_lines(nbformat.read(source / path.name, as_version=4), released)
        nb = safe_notebook(nbformat.read(path, as_version=4), released, hidden, messages,
                           waiting)
        path.chmod(0o644)  # nbgrader leaves it read-only
        nbformat.write(nb, path)
    result = api.generate_feedback(assignment, student)
    if not result.get("success"):
        error = first_line(result.get("error") or result.get("log") or "no details", last=True)
        raise RuntimeError(f"nbgrader generate_feedback failed: {error}")
    folder = Path(coursedir.format_path(coursedir.feedback_directory, student, assignment))
    return {p.stem: p.read_text() for p in sorted(folder.glob("*.html"))}

