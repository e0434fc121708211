"""The versions the course is tested with: requirements/lock.txt follows pyproject.toml, this
environment is the locked one, and run.py reinstalls when the lock changes.

(The lowest versions pyproject.toml allows are proved by scripts/lowest.py, which CI runs in
an environment of its own.)"""

import importlib.metadata
import importlib.util
import os
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"


def pins() -> dict[str, str]:
    """The lock's ``name: version`` for this platform and Python (its markers evaluated)."""
    found = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"the lock should pin exactly: {line}"
            found[canonicalize_name(requirement.name)] = spec.version
    return found


def direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        listed += extra
    return [Requirement(text) for text in listed]


def test_lock_pins_every_direct_dependency_within_pyproject_ranges():
    locked = pins()
    for requirement in direct_requirements():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {LOCK.name}: run python3 scripts/lock.py"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{LOCK.name} pins {name}=={locked[name]} outside pyproject.toml's "
            f"{requirement}: run python3 scripts/lock.py")


@pytest.mark.skipif(bool(os.environ.get("AECOURSE_UNLOCKED")),
                    reason="AECOURSE_UNLOCKED: this environment follows pyproject.toml's ranges")
def test_this_environment_has_the_locked_versions():
    """What the tests run on is what the lock says: run.py installed it, nothing drifted."""
    wrong = []
    for name, version in pins().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # the lock covers every extra; this environment needs only some
        if installed != version:
            wrong.append(f"{name} {installed} (locked: {version})")
    assert not wrong, "not the locked versions: " + ", ".join(wrong)
    for key in ("tensorflow", "keras", "nbgrader", "numpy"):
        assert key in pins() and importlib.metadata.version(key) == pins()[key]


def test_run_py_reinstalls_when_the_lock_changes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("aecourse_run", ROOT / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    monkeypatch.delenv("AECOURSE_UNLOCKED", raising=False)
    lock = tmp_path / "lock.txt"
    lock.write_text("keras==3.15.1\n")
    monkeypatch.setattr(run, "LOCK", lock)
    before = run.install_state("test")
    lock.write_text("keras==3.15.0\n")
    assert run.install_state("test") != before
    assert run.install_state("test") != run.install_state("")
    monkeypatch.setenv("AECOURSE_UNLOCKED", "1")
    assert not run.locked() and run.install_state("test") != before
