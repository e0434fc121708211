"""Verified downloads: a ``.part`` file, a SHA-256 check, then an atomic move."""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Sequence
from pathlib import Path

CHUNK = 1 << 16
TIMEOUT = 30  # seconds without data before a mirror is given up


class DownloadError(OSError):
    """No mirror delivered a file with the expected SHA-256."""


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, part: Path, progress: bool) -> str:
    """Stream ``url`` into ``part``; return the SHA-256 of what was received."""
    from tqdm.auto import tqdm

    digest = hashlib.sha256()
    received = 0
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with (
            open(part, "wb") as out,
            tqdm(total=total, unit="B", unit_scale=True, desc=part.name[:-5],
                 disable=not progress) as bar,
        ):
            for chunk in iter(lambda: response.read(CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise DownloadError(f"connection closed after {received} of {total} bytes")
    return digest.hexdigest()


def download(
    filename: str, dest_dir: Path, mirrors: Sequence[str], sha256: str, progress: bool = True
) -> Path:
    """Download ``filename`` from the first mirror that serves it with the right SHA-256.

    The file is written to ``dest_dir/filename.part`` and renamed into place only once its
    hash matches, so an interrupted or corrupt transfer never leaves a file that looks valid.

    Raises
    ------
    DownloadError
        When every mirror failed; the message lists why each one did.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / filename
    part = dest_dir / (filename + ".part")
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            got = _fetch(url, part, progress)
            if got != sha256:
                raise DownloadError(f"{url}: SHA-256 {got} does not match expected {sha256}")
            os.replace(part, target)
            return target
        except (OSError, http.client.HTTPException, ValueError) as err:
            failures.append(f"  {url}: {getattr(err, 'reason', err)}")
        finally:
            part.unlink(missing_ok=True)
    raise DownloadError(f"could not download {filename}:\n" + "\n".join(failures))
