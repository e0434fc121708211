"""Kernels for nbgrader, started under the sandbox's policy (:mod:`.policy`).

:class:`GradingKernelManager` is the kernel manager nbgrader's executor gets; its kernels are
launched by :class:`SandboxProvisioner` (a jupyter_client kernel provisioner) in one of
three modes:

``bwrap``
    inside bubblewrap, or forked by the fork server (:mod:`.forkserver`) when one runs;
``limits``
    resource limits, a clean environment and the scratch folder as working folder, but no
    isolation (``aecourse grade --no-sandbox``);
``trusted``
    a plain kernel over IPC sockets (the instructor's own notebooks, a student's self-check).

A :class:`JobKernels` holds the kernels of one grading job: it kills them when the job's
time is up and keeps what the job needs to know of them (their last words, the waits).
:class:`KernelPool` starts the next kernel while the current notebook runs.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Instance, Unicode

from ..config.limits import Limits
from ..runtime import LESSON_IMPORTS
from . import forkserver, policy

PROVISIONER = "aecourse-sandbox"  # its entry point (pyproject.toml: jupyter_client's group)


class JobKernels:
    """The kernels of one grading job.

    Kills every kernel adopted when ``seconds`` of wall-clock time are up, and at the end of
    the job removes whatever its kernels left (a kernel that nbclient did not shut down, when
    its start or its client failed). Collects the last words each kernel's process wrote
    (:attr:`logs`), how long each notebook waited for a ready kernel (:attr:`waits`:
    seconds, and whether it was started ahead), and why a kernel never became ready
    (:attr:`failed_starts`: before any student code ran, so the grader's failure).
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self.logs: list[str] = []
        self.waits: list[tuple[float, bool]] = []
        self.failed_starts: list[str] = []
        self._managers: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        for km in self._managers:
            _stop(km)

    def __deepcopy__(self, memo):
        # traitlets copies configured values; a job's kernels share one JobKernels
        return self

    def adopt(self, km) -> None:
        with self._lock:
            self._managers.append(km)
            if self.expired:
                _kill(km)
                raise RuntimeError(f"out of time ({self.seconds:g} s)")

    def _expire(self):
        with self._lock:
            self.expired = True
            for km in self._managers:
                _kill(km)


@functools.cache
def _context(max_message: int):
    """The ZeroMQ context of this process's kernel connections: a kernel cannot make the
    grader accept a message larger than ``max_message`` bytes (nor fill its memory)."""
    import zmq
    import zmq.asyncio

    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, max_message)
    return context


class GradingKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start as :attr:`mode` says, over IPC sockets."""

    mode = Unicode("trusted", help="bwrap, limits or trusted (see aecourse.sandbox)").tag(
        config=True)
    work_dir = Unicode("", help="the scratch copy of the student's files (bwrap, limits)").tag(
        config=True)
    limits = Instance(Limits, args=(), help="the limits of the kernel").tag(config=True)
    owner = Instance(JobKernels, allow_none=True,
                       help="the grading job whose kernels these are").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.mode not in policy.MODES:
            raise ValueError(f"GradingKernelManager.mode must be one of {policy.MODES}")
        self.context = _context(self.limits.message)
        self.passed = policy.passed_env()  # as now: nbgrader sets the budget around autograde
        self.pooled = False  # started ahead by KernelPool: its job adopts it when taken
        self.scratch_root = None  # the folder KernelPool made for it, removed at the end
        self.ipc = None  # the folder of its sockets, made when it starts
        self.transport = "ipc"

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.metadata["kernel_provisioner"] = {"provisioner_name": PROVISIONER}
            if self.mode == "bwrap":
                spec.interrupt_mode = "message"  # a signal would reach bubblewrap, not the kernel
        return spec

    @property
    def log_path(self) -> Path | None:
        """Where the kernel process's own stdout and stderr go (sandboxed modes)."""
        return None if self.ipc is None else self.ipc.parent / f"{self.ipc.name}.log"

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self.mode == "bwrap":
            policy.hand_over(Path(self.connection_file))  # written private to the grader

    def make_ipc(self) -> None:
        """The folder of the kernel's sockets: where a sandboxed kernel can see it."""
        if self.ipc is None:
            near = forkserver.folder() if self.mode == "bwrap" else None
            self.ipc = Path(tempfile.mkdtemp(prefix="aecourse-ipc-", dir=near)).resolve()
            policy.hand_over(self.ipc)
            self.connection_file = str(self.ipc / "kernel.json")


class SandboxProvisioner(LocalProvisioner):
    """Launches the kernel of a :class:`GradingKernelManager` (its ``parent``) under the
    sandbox's policy, and removes its folders when it is cleaned up."""

    async def pre_launch(self, **kwargs):
        self.parent.make_ipc()
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd, **kwargs):
        km = self.parent
        if km.mode == "trusted":
            info = await super().launch_kernel(cmd, **kwargs)
        else:
            if not km.work_dir:
                raise ValueError(f"a {km.mode} kernel needs GradingKernelManager.work_dir")
            work = Path(km.work_dir).resolve()
            forked = None
            if km.mode == "bwrap":
                policy.require()
                server = forkserver.current()
                if server is not None:
                    forked = server.command(cmd, work, km.ipc, km.limits,
                                            policy.kernel_env(policy.WORK, sandboxed=True,
                                                              passed=km.passed))
            cmd = forked or policy.wrap(cmd, km.mode, work, km.ipc, km.limits, km.passed)
            kwargs["cwd"] = str(work)
            kwargs["env"] = (policy.outer_env() if km.mode == "bwrap"
                             else policy.kernel_env(str(work), sandboxed=False, passed=km.passed))
            # what the kernel process itself prints (not its cells' output) goes to a log
            with open(km.log_path, "ab") as log:
                kwargs["stdout"] = kwargs["stderr"] = log
                info = await super().launch_kernel(cmd, **kwargs)
        if km.owner is not None and not km.pooled:
            km.owner.adopt(km)
        return info

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart)
        if not restart:
            tail = _remove_folders(self.parent)
            if tail and self.parent.owner is not None:
                self.parent.owner.logs.append(tail)


def _remove_folders(km) -> str:
    """Remove the folders of ``km``'s kernel; return the end of its log."""
    tail = ""
    for path in (km.ipc, km.scratch_root):
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)
    if km.log_path is not None:
        with contextlib.suppress(OSError):
            tail = km.log_path.read_bytes()[-2000:].decode(errors="replace")
            km.log_path.unlink()
    return tail


def _kill(km) -> None:
    provisioner = getattr(km, "provisioner", None)
    if provisioner is not None and getattr(provisioner, "process", None) is not None:
        policy.kill(provisioner.process)


def _stop(km) -> None:
    """Kill the kernel of ``km`` and remove its folders, whatever state it is in."""
    _kill(km)
    _remove_folders(km)


# What a kernel started ahead loads while it waits (what every lesson's set-up cell loads),
# binding no name in the notebook's namespace.
WARM_UP = ("import importlib as _i, aecourse as _a; _a.quiet_tensorflow(); "
           f"[_i.import_module(_m) for _m in {LESSON_IMPORTS!r}]; del _i, _a")
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


@dataclass(frozen=True)
class KernelSettings:
    """What a kernel is started with; a kernel started ahead serves a notebook that wants
    the same."""

    kernel_name: str
    mode: str
    limits: Limits
    extra_arguments: tuple[str, ...]
    passed: tuple[tuple[str, str], ...]
    config: object = field(compare=False, repr=False)

    @classmethod
    def of(cls, km, extra_arguments) -> KernelSettings:
        return cls(km.kernel_name, km.mode, km.limits, tuple(extra_arguments),
                   tuple(sorted(km.passed.items())), km.config)

    def manager(self) -> GradingKernelManager:
        """A kernel manager for a kernel started ahead, with a scratch folder of its own."""
        near = forkserver.folder() if self.mode == "bwrap" else None
        scratch = Path(tempfile.mkdtemp(prefix="aecourse-pool-", dir=near))
        for sub in ("work", "home", "tmp"):  # the layout policy.kernel_env expects
            (scratch / sub).mkdir()
            policy.hand_over(scratch / sub)
        policy.hand_over(scratch)
        km = GradingKernelManager(kernel_name=self.kernel_name, config=self.config,
                                  mode=self.mode, limits=self.limits, owner=None,
                                  work_dir=str(scratch / "work"))
        km.passed, km.pooled, km.scratch_root = dict(self.passed), True, scratch
        return km


class KernelPool:
    """Kernels started ahead of need, importing TensorFlow as they start, so that a notebook
    does not wait for a kernel. Each kernel still runs one notebook only; it is started with
    the settings of the notebook before it and used only if the next one wants the same.
    The next kernel starts once the current one is ready: two kernels importing TensorFlow
    at once would each take twice as long.
    """

    def __init__(self):
        self._next = None  # (its settings, its kernel manager, the task that starts it)
        self._like: KernelSettings | None = None  # of the last kernel taken
        atexit.register(self.close)

    async def take(self, like: GradingKernelManager, extra_arguments, warm=WARM_UP):
        """``(kernel manager, started ahead)``: a kernel with ``like``'s settings and a copy
        of its work folder, the one started ahead or else one started now the same way
        (ready when its client is), adopted by ``like``'s owner. Call :meth:`start_next`
        once it is ready."""
        if warm:
            extra_arguments = [*extra_arguments, f"--IPKernelApp.exec_lines={warm}"]
        wanted = KernelSettings.of(like, extra_arguments)
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
        self._like = wanted
        if ready is None:
            ready = wanted.manager()
            try:
                await ready.start_kernel(extra_arguments=list(extra_arguments))
            except BaseException:
                _stop(ready)
                raise
        shutil.copytree(like.work_dir, ready.work_dir, dirs_exist_ok=True)
        for path in Path(ready.work_dir).rglob("*"):
            policy.hand_over(path)
        ready.owner = like.owner
        if like.owner is not None:
            like.owner.adopt(ready)
        return ready, ahead

    def start_next(self):
        """Begin starting the next kernel, like the last one taken."""
        import asyncio

        if self._like is None or self._next is not None:
            return
        like, self._like = self._like, None
        km = like.manager()
        # the kernel imports while it starts, whether or not anyone is listening yet
        start = km.start_kernel(extra_arguments=list(like.extra_arguments))
        self._next = (like, km, asyncio.ensure_future(start))

    def close(self):
        """Stop a kernel started ahead and never used (at exit)."""
        self._like = None
        if self._next is not None:
            _, km, task = self._next
            self._next = None
            _stop(km)
            with contextlib.suppress(Exception):  # its event loop may be closed already
                task.cancel()


POOL = KernelPool()
