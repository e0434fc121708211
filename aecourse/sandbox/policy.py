"""What a grading kernel sees and may do: the one place the sandbox's policy is written.

A kernel runs in bubblewrap: the system read-only, no network, its own pid namespace, a
private ``/tmp`` and home, ``setrlimit`` limits, an unprivileged user when the grader is root;
it can write one scratch copy of the student's files and nothing else, and talks to the grader
over sockets in one folder bound into the sandbox. The fork server (:mod:`.forkserver`) applies
the same policy to the kernels it forks.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..config import env as names
from ..config import layout
from ..config.limits import Limits
from ..config.text import first_line

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
                                  env=outer_env())
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bubblewrap does not start: {err}"
    if proc.returncode:
        reason = first_line(proc.stderr, last=True) or f"exit code {proc.returncode}"
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
PASS_ENV = (names.NBGRADER_EXECUTION, names.NBGRADER_VALIDATING, names.BUDGET, "LANG", "LC_ALL",
            "TZ", "TF_CPP_MIN_LOG_LEVEL", "OMP_NUM_THREADS", "PYTHONHASHSEED")


def _package_root() -> Path:
    """The folder that holds this ``aecourse`` package (for the kernel's PYTHONPATH)."""
    return Path(__file__).resolve().parent.parent.parent


def _data_dirs() -> list[Path]:
    """The folder of the full Fashion-MNIST the lessons would read here, if there is one."""
    from ..datasets.fashion_mnist import data_folder

    found = data_folder()
    return [found.resolve()] if found is not None else []


def _never_shown(path: Path) -> bool:
    """Whether ``path`` must stay hidden however the interpreter got it on its path: a course
    folder (instructor notebooks, a gradebook), or a folder holding the home or the working
    folder of the grader (everything of the instructor's)."""
    if (path / layout.SOLUTIONS).is_dir() or (path / layout.GRADEBOOK).exists():
        return True
    guarded = {Path("/"), Path.home().resolve(), Path.cwd().resolve(), Path("/tmp"),
               Path("/home")}
    return any(g == path or g.is_relative_to(path) for g in guarded)


def _extra_paths() -> list[Path]:
    """The grader's import path outside its interpreter's own folders (a ``PYTHONPATH``
    entry, a user site, a folder a ``.pth`` file adds), which a kernel needs too."""
    prefixes = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    found = []
    for entry in sys.path:
        if not entry or not os.path.isabs(entry) or not os.path.exists(entry):
            continue
        path = Path(entry).resolve()
        if any(path.is_relative_to(p) for p in prefixes) or _never_shown(path):
            continue
        found.append(path)
    return list(dict.fromkeys(found))


def readable() -> list[Path]:
    """What a kernel may read besides the system, wherever it lives on this machine: the
    interpreter (its prefixes and its import path), the ``aecourse`` package and the data the
    lessons read. The shortest list: nothing inside another entry."""
    found = [Path(sys.base_prefix), Path(sys.prefix), _package_root() / "aecourse",
             *_extra_paths(), *_data_dirs()]
    kept: list[Path] = []
    for path in sorted({p.resolve() for p in found}, key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return kept


COVERED = ("/tmp", "/home", "/dev/shm")  # private and empty in a kernel, but for readable()


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
        names.OFFLINE: "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": os.pathsep.join(map(str, [_package_root(), *_extra_paths()])),
    })
    env.setdefault("LANG", "C.UTF-8")
    data = _data_dirs()
    if data:
        env[names.DATA] = str(data[0])
    return env


def outer_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def bwrap_args(work: Path | None, ipc: Path, limits: Limits, env: dict[str, str],
               caps=("CAP_SETUID", "CAP_SETGID")) -> list[str]:
    """The bubblewrap command line: which parts of this machine a kernel sees, and how.

    ``work`` is bound as the kernel's working folder, ``ipc`` where it is; as root, ``caps``
    are the capabilities kept (the last step drops them all: see wrap()). The fork server
    (:mod:`.forkserver`) has no work folder of its own: kernels get theirs."""
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
    for top in COVERED:
        args += ["--perms", "1777", "--size", str(limits.scratch), "--tmpfs", top]
    shown = readable()
    # bubblewrap makes missing folders on the way to a mount point private to root; the
    # kernel's user must be able to walk through them.
    parents = {Path("/etc"), Path(HOME)}
    for path in [*shown, ipc]:
        parents.update(p for p in path.parents
                       if p not in (Path("/"), Path("/tmp"), Path("/home")))
    for path in sorted(parents, key=lambda p: len(p.parts)):
        args += ["--perms", "1777" if path == Path(HOME) else "0755", "--dir", str(path)]
    for name in ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in shown:
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


def kill(process: subprocess.Popen) -> None:
    """Kill a kernel and everything it started (its sandbox, or its process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


def die_with_parent() -> None:
    """Be killed when the parent process dies (Linux; elsewhere nothing)."""
    import ctypes

    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
