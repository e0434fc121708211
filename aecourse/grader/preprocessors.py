"""nbgrader preprocessors of the course."""

from __future__ import annotations

import time

from jupyter_core.utils import run_sync
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_output
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Instance, Integer, List, Unicode, default

from ..config.limits import Limits
from ..config.text import first_line
from ..sandbox.kernels import POOL, GradingKernelManager, JobKernels

NOTE = "\n... output truncated by the grader ..."
SKIPPED = "(a demonstration: not run when the notebook is graded; no test depends on it)\n"


class TruncateOutput(NbGraderPreprocessor):
    """Cap the text each cell keeps, so a flood of output cannot bloat the gradebook or feedback.

    nbgrader's LimitOutput counts lines; one enormous line, or many long ones, pass it.
    """

    max_chars = Integer(100_000, help="largest text kept per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        budget, noted = self.max_chars, False

        def cap(text):
            nonlocal budget, noted
            if isinstance(text, list):
                text = "".join(text)
            kept, budget = text[:max(budget, 0)], budget - len(text)
            if len(kept) == len(text):
                return text
            if noted:
                return kept
            noted = True
            return kept + NOTE

        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = cap(output.text)
            for mime, value in list(output.get("data", {}).items()):
                if mime.startswith("text/") or mime.endswith("json"):
                    if isinstance(value, (str, list)):
                        output.data[mime] = cap(value)
                elif isinstance(value, str) and len(value) > 20 * self.max_chars:
                    output.data = {"text/plain": f"[{mime} output of {len(value)} bytes "
                                                 "dropped by the grader]"}
                    break
            if "traceback" in output:
                output.traceback = [cap(line) for line in output.traceback[-100:]]
        cell.outputs = [o for o in cell.get("outputs", [])
                        if o.get("text", "x") or o.get("output_type") != "stream"]
        return cell, resources


class StderrIsNotAFailure(NbGraderPreprocessor):
    """Show what a test cell printed on stderr as ordinary output.

    nbgrader scores a test cell with any stderr as zero; in this course a test fails by an
    error (a failed assert), and a warning or a log line is not a wrong answer.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output.name = "stdout"
        return cell, resources


class GradingExecute(Execute):
    """nbgrader's Execute with kernels from
    :class:`aecourse.sandbox.kernels.GradingKernelManager`, and a cap on the output kept
    (``limits.output``), so a flood from the kernel cannot fill the grader's memory."""

    limits = Instance(Limits, args=(), help="the limits of grading").tag(config=True)
    owner = Instance(JobKernels, allow_none=True,
                       help="the grading job whose kernels these are").tag(config=True)
    use_pool = Bool(True, help="take kernels started ahead (sandboxed modes only)").tag(
        config=True)
    warm_up = Unicode("", help="what a kernel started ahead runs while it waits (see "
                              "aecourse.sandbox.kernels.warm_up)").tag(config=True)
    skip_cells = List(Unicode(), help="grade_ids of demo cells that grading does not run "
                                      "(see aecourse.grader.autograde.skipped_cells)").tag(
        config=True)

    @default("shutdown_kernel")
    def _kill_at_the_end(self):
        # a kernel runs one notebook and is thrown away: a graceful shutdown (TensorFlow's
        # exit inside the sandbox) would cost over a second per notebook for nothing
        return "immediate"

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if (meta.get("grade_id") in self.skip_cells and not meta.get("grade")
                and not meta.get("solution")):
            cell.outputs = [new_output("stream", name="stdout", text=SKIPPED)]
            cell.execution_count = None
            return cell, resources
        return super().preprocess_cell(cell, resources, index)

    def __init__(self, **kwargs):
        kwargs["kernel_manager_class"] = GradingKernelManager
        super().__init__(**kwargs)
        self._output_bytes = 0
        self._dropped = set()

    def _failed_to_start(self, err: BaseException) -> None:
        if self.owner is not None:
            self.owner.failed_starts.append(first_line(err) or type(err).__name__)

    async def async_start_new_kernel(self, **kwargs):
        self._asked, self._pooled = time.perf_counter(), False
        try:
            if self.use_pool and self.km.mode != "trusted":
                hist = [f"--HistoryManager.hist_file={self.ipython_hist_file}"]
                # the manager nbclient made never starts a kernel: nothing to clean up
                self.km, self._pooled = await POOL.take(
                    self.km, [*self.extra_arguments, *hist], self.warm_up)
                return
            await super().async_start_new_kernel(**kwargs)
        except Exception as err:
            self._failed_to_start(err)
            raise

    async def async_start_new_kernel_client(self):
        try:
            client = await super().async_start_new_kernel_client()
        except Exception as err:  # the kernel died or hung before running any cell
            self._failed_to_start(err)
            raise
        # how long the notebook waited for a kernel ready to run it (TensorFlow imported
        # already when it was started ahead)
        if self.owner is not None:
            self.owner.waits.append((time.perf_counter() - self._asked, self._pooled))
        if self.use_pool and self.km.mode != "trusted":
            POOL.start_next()
        return client

    # nbclient binds its synchronous wrappers to its own coroutines: rebind them to ours
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") in ("stream", "display_data", "execute_result",
                                   "update_display_data"):
            content = msg.get("content", {})
            size = len(content.get("text", "")) + sum(
                len(v) if isinstance(v, str) else len(str(v))
                for v in content.get("data", {}).values())
            self._output_bytes += size
            if self._output_bytes > self.limits.output:
                if cell_index not in self._dropped:
                    self._dropped.add(cell_index)
                    cell.outputs.append(NotebookNode(
                        output_type="stream", name="stdout",
                        text=f"\n... further output dropped by the grader (more than "
                             f"{self.limits.output >> 20} MiB in this notebook) ...\n"))
                return None
        return super().process_message(msg, cell, cell_index)


class LatePolicyPlugin(LateSubmissionPlugin):
    """nbgrader's late-penalty hook with the policy of the course file (``course.toml``), so
    that ``nbgrader autograde`` and the formgrader agree with ``aecourse``."""

    def late_submission_penalty(self, student_id, score, total_seconds):
        from pathlib import Path

        from nbgrader.coursedir import CourseDirectory

        from ..config import term

        root = Path(CourseDirectory(parent=self).root)
        return term.load(root).late.penalty(score or 0.0, total_seconds)
