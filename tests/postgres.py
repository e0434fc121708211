"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder, on a free
port of 127.0.0.1, removed afterwards. Needs the server's programs (Debian's ``postgresql``,
which ``.ci/run`` installs) and the psycopg driver; :func:`problem` says what is missing.

``AECOURSE_PG_BIN`` names the folder of ``initdb`` and ``pg_ctl`` (and is then the only place
looked in); otherwise PATH, then ``/usr/lib/postgresql/*/bin``, newest first.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SERVER = ("initdb", "pg_ctl")


def server_bin() -> Path | None:
    """The folder holding PostgreSQL's ``initdb`` and ``pg_ctl``, or None."""
    if "AECOURSE_PG_BIN" in os.environ:
        places = [os.environ["AECOURSE_PG_BIN"]]
    else:
        places = os.environ.get("PATH", "").split(os.pathsep)
        places += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: [int(x) if x.isdigit() else 0
                                        for x in Path(p).parent.name.split(".")],
                         reverse=True)
    for place in places:
        if place and all(os.access(Path(place) / tool, os.X_OK) for tool in SERVER):
            return Path(place)
    return None


def _server_user() -> str | None:
    """Who runs the server: ourselves, or (as root, which PostgreSQL refuses) ``postgres``."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        return None


def problem() -> str:
    """Why no throwaway server can run here ('' when one can)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install -e '.[postgres]')"
    if server_bin() is None:
        return ("PostgreSQL's server (initdb, pg_ctl) is not installed: apt-get install "
                "postgresql (.ci/run does)")
    if _server_user() is None:
        return "running as root and there is no 'postgres' user to run the server as"
    return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def temporary_cluster():
    """Start a server; yield the URL of its ``postgres`` database (user ``postgres``, trust
    authentication on 127.0.0.1 only); stop it and remove its files after."""
    binary, user = server_bin(), _server_user()
    folder = Path(tempfile.mkdtemp(prefix="aecourse-pg-"))
    as_user = {}  # the server refuses to run as root: as root, run it as its own user
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    data, port = folder / "data", _free_port()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        subprocess.run([str(binary / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, env=env, timeout=300, **as_user)
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        subprocess.run([str(binary / "pg_ctl"), "-D", str(data), "-l",
                        str(folder / "server.log"), "-o", options, "-w", "-t", "120", "start"],
                       check=True, capture_output=True, env=env, timeout=180, **as_user)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        log = folder / "server.log"
        detail = (getattr(err, "stderr", b"") or b"").decode(errors="replace")
        detail += log.read_text(errors="replace") if log.is_file() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"could not start a throwaway PostgreSQL server: {detail}") from err
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([str(binary / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], capture_output=True, env=env, timeout=120, **as_user)
        time.sleep(0.2)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """A new, empty database on the server at ``server_url``; returns its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
