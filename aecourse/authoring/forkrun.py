"""Run many versions of the course's own notebooks fast: forked from one process that has
imported TensorFlow once.

For the course's proofs (every listed answer to every exercise, see
:mod:`aecourse.authoring.variants`),
not for students: the notebooks run unsandboxed. Each run is a child process forked from a
server that imported TensorFlow, Keras and the lesson helpers but ran no TensorFlow operation
(TensorFlow is safe to fork until its runtime starts its thread pools), so a run costs its
cells' time and not the 4-7 s of a fresh kernel's imports. Cells run one after the other in an
IPython shell, in a private copy of the notebook's folder; a test cell earns its points when it
raises nothing, as in nbgrader (a grading kernel prints warnings on stdout, so only errors
count).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..config.text import first_line
from ..grader.results import CellResult
from ..runtime import LESSON_IMPORTS
from ..sandbox.policy import die_with_parent

# What the server imports before forking: every lesson's set-up, and the shell cells run in.
PRELOAD = (*LESSON_IMPORTS, "IPython.core.interactiveshell")


@dataclass
class Cell:
    """A code cell: its grade_id ("" when it has none), source, and points when a test."""

    grade_id: str
    source: str
    points: float = 0.0


@dataclass
class Run:
    """One notebook version to run.

    ``stop_after``: None runs every cell; otherwise the run stops at the first failing test
    cell once every test cell it names has run (an empty tuple: at the first failure).
    """

    name: str
    cells: list[Cell]
    stop_after: tuple[str, ...] | None = None


@dataclass
class Outcome:
    """What a run earned: a result for each test cell that ran, the first line of each
    failing cell's error (by grade_id, "" for a cell without one), and what went wrong with
    the run itself ("" if nothing: it ran to its end or stopped as asked)."""

    name: str
    cells: list[CellResult] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str = ""
    seconds: float = 0.0
    cell_seconds: list[tuple[str, float]] = field(default_factory=list)  # (grade_id or #n, s)


def run_all(runs: list[Run], folder: Path, workers: int = 2, timeout: float = 300,
            env: dict[str, str] | None = None) -> dict[str, Outcome]:
    """Run each of ``runs`` in a fresh child with the files of ``folder`` around it; at most
    ``workers`` at once, each killed after ``timeout`` seconds. Returns name -> Outcome."""
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ValueError("run names must be unique")
    with tempfile.TemporaryDirectory(prefix="aecourse-forkrun-") as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({
            "folder": str(Path(folder).resolve()), "workers": max(1, workers),
            "timeout": timeout,
            "runs": [{"name": r.name, "stop_after": r.stop_after,
                      "cells": [[c.grade_id, c.source, c.points] for c in r.cells]}
                     for r in runs]}))
        out = Path(tmp) / "out"
        out.mkdir()
        subprocess.run([sys.executable, "-m", __name__, str(spec), str(out)], check=True,
                       env={**os.environ, "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3",
                            **(env or {})},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found = {}
        for i, run in enumerate(runs):
            path = out / f"{i}.json"
            if path.exists():
                data = json.loads(path.read_text())
                errors = data["errors"]
                cells = [CellResult(g, score, points, errors.get(g, "") if score < points
                                    else "") for g, (score, points) in data["scores"].items()]
                found[run.name] = Outcome(run.name, cells, errors, data["problem"],
                                          data["seconds"],
                                          [tuple(t) for t in data.get("cell_seconds", [])])
            else:
                found[run.name] = Outcome(run.name, problem="never ran")
        return found


# ----- the server (python -m aecourse.authoring.forkrun SPEC OUT) -----

def _serve(spec_path: str, out: str) -> None:
    import importlib

    die_with_parent()
    spec = json.loads(Path(spec_path).read_text())
    for module in PRELOAD:
        importlib.import_module(module)
    pending = list(enumerate(spec["runs"]))
    running: dict[int, tuple[int, float, dict]] = {}  # pid -> (index, started, run)
    while pending or running:
        while pending and len(running) < spec["workers"]:
            index, run = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                code, path = 1, Path(out) / f"{index}.json"
                try:
                    _child(run, Path(spec["folder"]), path)
                    code = 0
                except BaseException as err:
                    _write(path, {}, {}, f"the runner failed: {err!r}"[:300], 0.0)
                finally:
                    os._exit(code)
            running[pid] = (index, time.monotonic(), run)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.05)
            for pid, (index, started, _) in list(running.items()):
                if time.monotonic() - started > spec["timeout"]:
                    _kill(pid)
                    _write(Path(out) / f"{index}.json", {}, {},
                           f"timed out after {spec['timeout']:g} s", spec["timeout"])
            continue
        index, started, run = running.pop(pid)
        path = Path(out) / f"{index}.json"
        if not path.exists():
            how = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"exited with code {os.WEXITSTATUS(status)}")
            _write(path, {}, {}, f"the process died ({how})", time.monotonic() - started)


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            target()


def _write(path: Path, scores, errors, problem: str, seconds: float, cell_seconds=()) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"scores": scores, "errors": errors, "problem": problem,
                               "seconds": round(seconds, 3), "cell_seconds": cell_seconds}))
    tmp.replace(path)


def _child(run: dict, folder: Path, result: Path) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    started = time.monotonic()
    os.setpgid(0, 0)
    die_with_parent()
    work = Path(tempfile.mkdtemp(prefix="aecourse-forkrun-"))
    try:
        for path in folder.iterdir():
            if path.suffix != ".ipynb":
                (shutil.copytree if path.is_dir() else shutil.copy2)(path, work / path.name)
        os.chdir(work)
        log = os.open(result.with_suffix(".log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        config = Config()
        config.HistoryManager.enabled = False
        shell = InteractiveShell.instance(config=config)
        scores, errors, cell_seconds = {}, {}, []
        watch = set(run["stop_after"] or ())
        for number, (grade_id, source, points) in enumerate(run["cells"]):
            clock = time.monotonic()
            outcome = shell.run_cell(source, store_history=False)
            cell_seconds.append((grade_id or f"#{number}", round(time.monotonic() - clock, 3)))
            if not outcome.success:
                err = outcome.error_in_exec or outcome.error_before_exec
                errors[grade_id] = first_line(f"{type(err).__name__}: {err}")
            if points:
                scores[grade_id] = (points if outcome.success else 0.0, points)
                watch.discard(grade_id)
                failed = any(s < p for s, p in scores.values())
                if run["stop_after"] is not None and failed and not watch:
                    break
        _write(result, scores, errors, "", time.monotonic() - started, cell_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    _serve(*sys.argv[1:3])
