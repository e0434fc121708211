"""Kernels for grading: only the student's kernel is untrusted, and only it is sandboxed.

nbgrader (autograde, the gradebook, the instructor's notebooks, feedback) runs in the trusted
grading process. The kernel that executes a submission is started by
:class:`GradingKernelManager`, in one of three modes:

``bwrap``
    inside bubblewrap: the system read-only, no network, its own pid namespace, a private
    ``/tmp`` and home, ``setrlimit`` limits, an unprivileged user when the grader is root; it
    can write one scratch copy of the student's files and nothing else. It talks to the grader
    over ZeroMQ IPC sockets in a folder bound into the sandbox.
``limits``
    resource limits, a clean environment and the scratch folder as working folder, but no
    isolation (``aecourse grade --no-sandbox``).
``trusted``
    a plain kernel over IPC sockets (the instructor's own notebooks, a student's self-check).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, Unicode, default

from . import forkserver
from .limits import Limits

MODES = ("bwrap", "limits", "trusted")
HOME = "/home/student"  # the kernel's home inside the sandbox
WORK = f"{HOME}/work"  # its working folder: the scratch copy of the student's files
NOBODY = 65534
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf "
                "install bubblewrap), or pass --no-sandbox to grade without isolation")


class SandboxUnavailable(RuntimeError):
    """Bubblewrap is missing or does not work on this machine."""


@functools.lru_cache(maxsize=1)
def problem() -> str:
    """Why kernels cannot be sandboxed here (empty when they can)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    with tempfile.TemporaryDirectory(prefix="aecourse-probe-") as tmp:
        work, ipc = Path(tmp, "work"), Path(tmp, "ipc")
        for folder in (work, ipc):
            folder.mkdir()
            hand_over(folder)
        argv = wrap([sys.executable, "-c", "import aecourse"], "bwrap", work, ipc, Limits())
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                  env=_outer_env())
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bubblewrap does not start: {err}"
    if proc.returncode:
        reason = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return f"bubblewrap does not work here: {reason}"
    return ""


def require() -> None:
    """Raise :class:`SandboxUnavailable` (one line: why, and what to do) unless usable."""
    if problem():
        raise SandboxUnavailable(f"cannot sandbox student code: {problem()}; {INSTALL_HINT}")


def _drops_to_nobody() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def hand_over(folder: Path) -> None:
    """Make ``folder`` writable by the sandbox's user."""
    if _drops_to_nobody():
        os.chown(folder, NOBODY, NOBODY)


_LIMITER = """
import ctypes, json, os, resource, signal, sys
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grader
except (AttributeError, OSError):
    pass
spec = json.loads(sys.argv[1])
for name, value in spec["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
if spec["uid"] is not None:
    os.setgroups([])
    os.setgid(spec["uid"])
    os.setuid(spec["uid"])
os.execvp(sys.argv[2], sys.argv[2:])
"""


def rlimits(limits: Limits) -> dict[str, int]:
    """The ``setrlimit`` limits of a kernel, by ``resource`` name."""
    found = {"RLIMIT_AS": limits.memory, "RLIMIT_FSIZE": limits.file_size, "RLIMIT_CORE": 0}
    if _drops_to_nobody():
        found["RLIMIT_NPROC"] = limits.processes  # binds the unprivileged user only
    return found


def _limiter(limits: Limits | None, uid: int | None = None) -> list[str]:
    """A command prefix that applies ``limits`` with setrlimit and becomes ``uid`` before
    running the rest of the command."""
    spec = json.dumps({"rlimits": rlimits(limits) if limits is not None else {}, "uid": uid})
    return [sys.executable, "-I", "-S", "-c", _LIMITER, spec]


# Files of /etc that programs need; the rest (grader configuration, credentials) stays hidden.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
       "hosts", "localtime", "timezone", "ssl", "ca-certificates", "fonts", "alternatives",
       "mime.types", "matplotlibrc", "os-release", "debian_version")
PASS_ENV = ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "AECOURSE_BUDGET", "LANG", "LC_ALL",
            "TZ", "TF_CPP_MIN_LOG_LEVEL", "OMP_NUM_THREADS", "PYTHONHASHSEED")


def _package_root() -> Path:
    """The folder that holds this ``aecourse`` package (for the kernel's PYTHONPATH)."""
    return Path(__file__).resolve().parent.parent


def _data_dirs() -> list[Path]:
    data = os.environ.get("AECOURSE_DATA")
    return [Path(data).resolve()] if data and Path(data).is_dir() else []


def passed_env() -> dict[str, str]:
    """The grader's variables that a grading kernel gets (the budget, the locale)."""
    return {var: os.environ[var] for var in PASS_ENV if os.environ.get(var)}


def kernel_env(work: str, sandboxed: bool, passed: dict[str, str]) -> dict[str, str]:
    """The whole environment of a grading kernel: nothing of the grader's but ``passed``."""
    env = dict(passed)
    home = HOME if sandboxed else str(Path(work).parent / "home")
    env.update({
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin",
                                 "/usr/bin", "/bin"]),
        "HOME": home,
        "TMPDIR": "/tmp" if sandboxed else str(Path(work).parent / "tmp"),
        "MPLBACKEND": "Agg",
        "AECOURSE_OFFLINE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": str(_package_root()),
    })
    env.setdefault("LANG", "C.UTF-8")
    if _data_dirs():
        env["AECOURSE_DATA"] = str(_data_dirs()[0])
    return env


def _outer_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def bwrap_args(work: Path | None, ipc: Path, limits: Limits, env: dict[str, str],
               caps=("CAP_SETUID", "CAP_SETGID")) -> list[str]:
    """The bubblewrap command line: which parts of this machine a kernel sees, and how.

    ``work`` is bound as the kernel's working folder, ``ipc`` where it is; as root, ``caps``
    are the capabilities kept (the last step drops them all: see wrap()). The fork server
    (:mod:`aecourse.forkserver`) has no work folder of its own: kernels get theirs."""
    args = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
            "--clearenv", "--proc", "/proc", "--dev", "/dev"]
    if _drops_to_nobody():
        # bubblewrap runs as root (so that it can bind folders only root may open) and keeps
        # just what the last step needs to become an unprivileged user: see wrap().
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                 "--unshare-cgroup-try", "--cap-drop", "ALL"]
        for cap in caps:
            args += ["--cap-add", cap]
    else:
        args += ["--unshare-all"]
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for top in ("/tmp", "/home", "/dev/shm"):
        args += ["--perms", "1777", "--size", str(limits.scratch), "--tmpfs", top]
    readable = [Path(sys.base_prefix), Path(sys.prefix), Path(__file__).resolve().parent,
                *_data_dirs()]
    readable = list(dict.fromkeys(p.resolve() for p in readable))
    # bubblewrap makes missing folders on the way to a mount point private to root; the
    # kernel's user must be able to walk through them.
    parents = {Path("/etc"), Path(HOME)}
    for path in [*readable, ipc]:
        parents.update(p for p in path.parents
                       if p not in (Path("/"), Path("/tmp"), Path("/home")))
    for path in sorted(parents, key=lambda p: len(p.parts)):
        args += ["--perms", "1777" if path == Path(HOME) else "0755", "--dir", str(path)]
    for name in ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in readable:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(ipc), str(ipc)]
    if work is not None:
        args += ["--bind", str(work), WORK, "--chdir", WORK]
    for var, value in env.items():
        args += ["--setenv", var, value]
    return args


def wrap(cmd: list[str], mode: str, work: Path, ipc: Path, limits: Limits,
         passed: dict[str, str] | None = None) -> list[str]:
    """``cmd`` (a kernel's command line) as it is run in ``mode``."""
    if mode == "bwrap":
        drop = _limiter(None, uid=NOBODY) if _drops_to_nobody() else []
        env = kernel_env(WORK, sandboxed=True, passed=passed or {})
        return [*_limiter(limits), *bwrap_args(work, ipc, limits, env), *drop, *cmd]
    if mode == "limits":
        return [*_limiter(limits), *cmd]
    return cmd


class Watchdog:
    """Kills every kernel of one grading job when its wall-clock time is up, and at the end
    of the job removes whatever its kernels left (a kernel that nbclient did not shut down,
    when its start or its client failed).

    Kernels started by this thread while the watchdog is active are adopted by it.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._managers: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        _active.__dict__.setdefault("watchdogs", []).append(self)
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        _active.watchdogs.remove(self)
        for km in self._managers:
            _stop(km)

    def adopt(self, km) -> None:
        with self._lock:
            self._managers.append(km)
            if self.expired:
                kill(km.provisioner.process)
                raise RuntimeError(f"out of time ({self.seconds:g} s)")

    def _expire(self):
        with self._lock:
            self.expired = True
            for km in self._managers:
                kill(km.provisioner.process)


_active = threading.local()  # watchdogs and notes of the job this thread is grading


def adopt(km) -> None:
    """Put the kernel of ``km`` in the care of the watchdogs of this thread's job."""
    for watchdog in getattr(_active, "watchdogs", []):
        watchdog.adopt(km)


def note(key: str, value) -> None:
    """Keep ``value`` under ``key`` in the notes of the job this thread is grading."""
    _active.__dict__.setdefault("notes", {}).setdefault(key, []).append(value)


def take_notes() -> dict[str, list]:
    """The notes of this thread's job so far (kernel logs, kernel waits), and forget them."""
    notes, _active.notes = getattr(_active, "notes", {}), {}
    return notes


def kill(process: subprocess.Popen) -> None:
    """Kill a kernel and everything it started (its sandbox, or its process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


class GradingKernelManager(AsyncKernelManager):
    """A kernel manager that starts kernels as :data:`MODES` says, over IPC sockets."""

    mode = Unicode("trusted", help="bwrap, limits or trusted (see aecourse.sandbox)").tag(
        config=True)
    work_dir = Unicode("", help="the scratch copy of the student's files (bwrap, limits)").tag(
        config=True)
    memory = Integer(Limits.memory).tag(config=True)
    file_size = Integer(Limits.file_size).tag(config=True)
    scratch = Integer(Limits.scratch).tag(config=True)
    processes = Integer(Limits.processes).tag(config=True)
    message = Integer(Limits.message).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.mode not in MODES:
            raise ValueError(f"GradingKernelManager.mode must be one of {MODES}")
        near = forkserver.folder() if self.mode == "bwrap" else None  # where it sees them
        self._ipc = Path(tempfile.mkdtemp(prefix="aecourse-ipc-", dir=near)).resolve()
        hand_over(self._ipc)
        self.passed = passed_env()  # as it is now: nbgrader sets the budget around autograde
        self.pooled = False  # started ahead by KernelPool: its job's watchdog adopts it later
        self.scratch_root = None  # the folder KernelPool made for it, removed at the end
        self.transport = "ipc"
        self.connection_file = str(self._ipc / "kernel.json")

    @default("context")
    def _context_default(self):
        import zmq
        import zmq.asyncio

        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.message)  # a flood cannot fill our memory
        return context

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None and self.mode == "bwrap":
            spec.interrupt_mode = "message"  # a signal would reach bubblewrap, not the kernel
        return spec

    @property
    def log_path(self) -> Path:
        """Where the kernel process's own stdout and stderr go (sandboxed modes)."""
        return self._ipc.parent / f"{self._ipc.name}.log"

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self.mode == "bwrap":
            hand_over(Path(self.connection_file))  # written private to the grader

    def limits(self) -> Limits:
        return Limits(memory=self.memory, file_size=self.file_size, scratch=self.scratch,
                      processes=self.processes, message=self.message)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.mode != "trusted":
            if not self.work_dir:
                raise ValueError(f"a {self.mode} kernel needs GradingKernelManager.work_dir")
            work = Path(self.work_dir).resolve()
            forked = None
            if self.mode == "bwrap":
                require()
                server = forkserver.current()
                if server is not None:
                    forked = server.command(kernel_cmd, work, self._ipc, self.limits(),
                                            kernel_env(WORK, sandboxed=True, passed=self.passed))
            kernel_cmd = forked or wrap(kernel_cmd, self.mode, work, self._ipc, self.limits(),
                                        self.passed)
            kw["cwd"] = str(work)
            kw["env"] = (_outer_env() if self.mode == "bwrap"
                         else kernel_env(str(work), sandboxed=False, passed=self.passed))
            # what the kernel process itself prints (not its cells' output) goes to a log
            with open(self.log_path, "ab") as log:
                kw["stdout"] = kw["stderr"] = log
                await super()._async_launch_kernel(kernel_cmd, **kw)
        else:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        if not self.pooled:
            adopt(self)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            shutil.rmtree(self._ipc, ignore_errors=True)
            if self.scratch_root is not None:
                shutil.rmtree(self.scratch_root, ignore_errors=True)
            with contextlib.suppress(OSError):
                tail = self.log_path.read_bytes()[-2000:].decode(errors="replace")
                self.log_path.unlink()
                note("kernel_logs", tail)

    # jupyter_client binds the public name to its own coroutine: rebind it to ours
    cleanup_resources = _async_cleanup_resources


# What every lesson's set-up cell loads; a kernel started ahead for a notebook that uses
# TensorFlow loads it while it waits (see warm_up).
WARM_UP = ("import aecourse as _a; _a.quiet_tensorflow(); import keras, numpy, "
           "matplotlib.pyplot; from aecourse import budget, datasets, plotting; del _a")
HEAVY = {"tensorflow", "keras", "aecourse"}


def warm_up(source: Path) -> str:
    """What a kernel started ahead for the notebooks in ``source`` runs while it waits:
    :data:`WARM_UP` when they import TensorFlow, Keras or aecourse, else nothing."""
    import ast

    import nbformat

    for path in sorted(Path(source).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n.split(".")[0] in HEAVY for n in names):
                    return WARM_UP
    return ""


class KernelPool:
    """Kernels started ahead of need, importing TensorFlow as they start, so that a notebook
    does not wait for a kernel. Each kernel still runs one notebook only; it is started with
    the settings of the notebook before it and used only if the next one wants the same.
    The next kernel starts once the current one is ready: two kernels importing TensorFlow
    at once would each take twice as long.
    """

    LIMITS = ("memory", "file_size", "scratch", "processes", "message")

    def __init__(self):
        self._next = None  # (settings, its kernel manager, the task that starts it)
        self._like = None  # (settings of the last kernel taken, its extra arguments)
        atexit.register(self.close)

    @staticmethod
    def _settings(km, extra_arguments):
        return (km.kernel_name, km.mode, km.limits(), tuple(extra_arguments),
                tuple(sorted(km.passed.items())))

    @staticmethod
    def _manager(like):
        near = forkserver.folder() if like.mode == "bwrap" else None
        scratch = Path(tempfile.mkdtemp(prefix="aecourse-pool-", dir=near))
        for sub in ("work", "home", "tmp"):  # the layout kernel_env expects
            (scratch / sub).mkdir()
            hand_over(scratch / sub)
        hand_over(scratch)
        km = GradingKernelManager(kernel_name=like.kernel_name, config=like.config,
                                  mode=like.mode, work_dir=str(scratch / "work"))
        km.passed, km.pooled, km.scratch_root = dict(like.passed), True, scratch
        for name in KernelPool.LIMITS:
            setattr(km, name, getattr(like, name))
        return km

    async def take(self, like, extra_arguments, warm=WARM_UP):
        """``(kernel manager, started ahead)``: a kernel with ``like``'s settings and a copy
        of its work folder, the one started ahead or else one started now the same way
        (ready when its client is). Call :meth:`start_next` once it is ready."""
        if warm:
            extra_arguments = [*extra_arguments, f"--IPKernelApp.exec_lines={warm}"]
        wanted = self._settings(like, extra_arguments)
        ready, self._next = self._next, None
        if ready is not None:
            settings, km, task = ready
            ready = None
            if settings == wanted:
                with contextlib.suppress(Exception):
                    await task
                    ready = km if await km.is_alive() else None
            if ready is None:
                _stop(km)
        ahead = ready is not None
        self._like = (SimpleNamespace(
            kernel_name=like.kernel_name, config=like.config, mode=like.mode,
            passed=dict(like.passed), **{n: getattr(like, n) for n in self.LIMITS}),
            extra_arguments)
        if ready is None:
            ready = self._manager(like)
            try:
                await ready.start_kernel(extra_arguments=extra_arguments)
            except BaseException:
                _stop(ready)
                raise
        shutil.copytree(like.work_dir, ready.work_dir, dirs_exist_ok=True)
        for path in Path(ready.work_dir).rglob("*"):
            hand_over(path)
        adopt(ready)
        return ready, ahead

    def start_next(self):
        """Begin starting the next kernel, like the last one taken."""
        import asyncio

        if self._like is None or self._next is not None:
            return
        like, extra_arguments = self._like
        self._like = None
        km = self._manager(like)
        # the kernel imports while it starts, whether or not anyone is listening yet
        start = km.start_kernel(extra_arguments=extra_arguments)
        self._next = (self._settings(km, extra_arguments), km, asyncio.ensure_future(start))

    def close(self):
        """Stop a kernel started ahead and never used (at exit)."""
        self._like = None
        if self._next is not None:
            _, km, task = self._next
            self._next = None
            _stop(km)
            with contextlib.suppress(Exception):  # its event loop may be closed already
                task.cancel()


def _stop(km) -> None:
    """Kill the kernel of ``km`` and remove its folders, whatever state it is in."""
    provisioner = getattr(km, "provisioner", None)
    if provisioner is not None and getattr(provisioner, "process", None) is not None:
        kill(provisioner.process)
    for path in (km._ipc, km.scratch_root):
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        km.log_path.unlink()


POOL = KernelPool()
