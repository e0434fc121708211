"""The resource limits of grading one submission: the one place their defaults are defined."""

from __future__ import annotations

from dataclasses import dataclass

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission."""

    wall: float = 600.0  # seconds for the whole submission
    cell: int = 300  # seconds per cell
    memory: int = 6 * GiB  # address space of the kernel; TensorFlow needs a few GiB of it
    file_size: int = 1 * GiB  # largest file the kernel may write
    scratch: int = 1 * GiB  # size of the private /tmp and of the private home
    processes: int = 4096  # processes and threads of the sandbox user (root graders only)
    output: int = 20 * MiB  # output kept per notebook; the rest is dropped
    message: int = 256 * MiB  # largest message the grader accepts from a kernel


def parse_size(text: str) -> int:
    """``"4G"``, ``"512M"`` or a number of bytes -> bytes."""
    text = str(text).strip().upper().removesuffix("B")
    units = {"K": 1 << 10, "M": MiB, "G": GiB, "T": 1 << 40}
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise ValueError(
            f"memory size must look like 4G, 512M or 1000000, got {text!r}") from None
