"""Run one grading job in an isolated process.

The job folder holds ``course/`` (a course made by :func:`aecourse.grading.prepare_course`) and
``submission/`` (one student's files). :func:`run` starts
``python -m aecourse.sandbox JOB ASSIGNMENT STUDENT`` in its own session, with resource limits
and, where bubblewrap exists, a private view of the file system (only the job folder writable;
the course, the gradebook, other jobs and the home folder hidden) and no network. The child
writes ``result.json`` into the job folder.
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
from dataclasses import dataclass
from pathlib import Path

GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading job."""

    wall: float = 600.0  # seconds for the whole submission
    cell: int = 300  # seconds per cell
    memory: int = 6 * GiB  # address space; TensorFlow needs a few GiB of it
    file_size: int = 1 * GiB  # largest file the job may write
    network: bool = False


def parse_size(text: str) -> int:
    """``"4G"``, ``"512M"`` or a number of bytes -> bytes."""
    text = str(text).strip().upper().removesuffix("B")
    units = {"K": 1 << 10, "M": 1 << 20, "G": GiB, "T": 1 << 40}
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise ValueError(
            f"memory size must look like 4G, 512M or 1000000, got {text!r}") from None


def _limit(limits: Limits):
    def apply():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def bwrap_command(job: Path, hidden: list[Path], readable: list[Path], network: bool) -> list[str]:
    """The bubblewrap prefix: the whole system read-only, private /tmp, the job writable.

    /root, /home and every folder in ``hidden`` are masked by empty ones; the Python
    environment, this package and the ``readable`` paths are bound back, read-only.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return []
    private = [Path("/tmp"), Path("/root"), Path("/home")]
    cmd = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
           "--unshare-pid", "--die-with-parent", "--new-session"]
    for path in private:
        cmd += ["--tmpfs", str(path)]
    if not network:
        cmd.append("--unshare-net")
    masked = [str(p.resolve()) for p in hidden if p.exists() and p.resolve() != Path("/")
              and not any(p.resolve().is_relative_to(root) for root in private)]
    for path in masked:  # an empty folder in place of each hidden one
        cmd += ["--tmpfs", path]
    package = Path(__file__).resolve().parent
    for path in [Path(sys.base_prefix), Path(sys.prefix), package, *readable]:
        if path.exists():
            cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", str(job), str(job), "--chdir", str(job)]
    for path in masked:  # read-only once the binds inside them are made
        cmd += ["--remount-ro", path]
    return cmd


def isolation() -> str:
    """Describe the isolation available on this machine, in one line."""
    if shutil.which("bwrap"):
        return "bubblewrap: private file system view, no network"
    return "no bubblewrap: submissions run with resource limits only (install bubblewrap)"


def run(job: Path, assignment: str, student: str, limits: Limits, hidden=(), readable=()) -> dict:
    """Grade the job folder ``job`` in a sandboxed child; return its result (or why none)."""
    job = job.resolve()
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(job / "home"),
        "TMPDIR": str(job / "tmp"),
        "XDG_CACHE_HOME": str(job / "cache"),
        "MPLBACKEND": "Agg",
        "AECOURSE_OFFLINE": "1",
        "AECOURSE_CELL_TIMEOUT": str(limits.cell),
        "PYTHONNOUSERSITE": "1",
    }
    for var in ("AECOURSE_DATA", "LANG", "LC_ALL"):
        if os.environ.get(var):
            env[var] = os.environ[var]
    readable = [Path(p) for p in readable]
    if env.get("AECOURSE_DATA"):
        readable.append(Path(env["AECOURSE_DATA"]).resolve())
    for sub in ("home", "tmp", "cache"):
        (job / sub).mkdir(exist_ok=True)
    cmd = bwrap_command(job, [Path(p) for p in hidden], readable, limits.network)
    cmd += [sys.executable, "-m", "aecourse.sandbox", str(job), assignment, student]
    log = job / "sandbox.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=job, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_limit(limits))
        try:
            proc.wait(timeout=limits.wall)
        except subprocess.TimeoutExpired:
            _kill(proc)
            return {"status": "timeout", "detail": f"took longer than {limits.wall:g} s"}
        finally:
            _kill(proc)
    result = job / "result.json"
    if result.is_file():
        try:
            return json.loads(result.read_text())
        except ValueError:
            pass
    tail = log.read_bytes()[-2000:].decode(errors="replace").strip().splitlines()
    detail = tail[-1] if tail else f"exit code {proc.returncode}"
    if proc.returncode and proc.returncode < 0:
        detail = f"killed by signal {-proc.returncode}"
    return {"status": "grader-error", "detail": detail}


def _kill(proc):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _child(job: Path, assignment: str, student: str) -> None:
    """Inside the sandbox: autograde, generate feedback, write result.json."""
    from . import grading

    os.chdir(job)
    tempfile.tempdir = str(job / "tmp")
    cell_timeout = int(os.environ.get("AECOURSE_CELL_TIMEOUT", "300"))
    api = grading.open_course(job / "course", cell_timeout=cell_timeout)
    results = grading.autograde(api, assignment, job / "submission", student=student)
    feedback = grading.feedback(api, assignment, student)
    payload = {
        "status": "graded",
        "notebooks": [r.to_dict() for r in results],
        "feedback": feedback,
    }
    (job / "result.json").write_text(json.dumps(payload))


if __name__ == "__main__":
    _child(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
