"""nbgrader preprocessors of the course."""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

NOTE = "\n... output truncated by the grader ({} characters in all) ..."


class TruncateOutput(NbGraderPreprocessor):
    """Cap each output's text, so a flood of output cannot bloat the gradebook or feedback.

    nbgrader's LimitOutput counts lines; one enormous line passes it untouched.
    """

    max_chars = Integer(100_000, help="largest text kept per output").tag(config=True)

    def _cap(self, text):
        if isinstance(text, list):
            text = "".join(text)
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + NOTE.format(len(text))

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = self._cap(output.text)
            for mime, value in list(output.get("data", {}).items()):
                if mime.startswith("text/") or mime.endswith("json"):
                    if isinstance(value, (str, list)):
                        output.data[mime] = self._cap(value)
                elif isinstance(value, str) and len(value) > 20 * self.max_chars:
                    output.data = {"text/plain": f"[{mime} output of {len(value)} bytes "
                                                 "dropped by the grader]"}
                    break
            if "traceback" in output:
                output.traceback = [self._cap(line) for line in output.traceback[-100:]]
        return cell, resources
