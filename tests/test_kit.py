"""``aecourse kit``: what a class gets installs and works on its own, and holds no line of a
solution or hidden test (checked by the command, and here again another way)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sysconfig
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest

from aecourse.authoring.kit import kit
from aecourse.cli import main
from aecourse.grader.feedback import MIN_LINE, hidden_lines

from .conftest import ROOT
from .test_cli import cell
from .test_selfcheck import LESSON, MARKERS, answered

SOLUTION_MARKER = "solution-marker-7e3b"
HIDDEN_MARKER = "hidden-marker-2f9c"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout") / "kit"
    return kit(ROOT, out, say=lambda text: None)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def unpacked(name: str, data: bytes) -> dict[str, bytes]:
    """Every file of a file, zips (the kit's zip, the wheel) unpacked."""
    if not zipfile.is_zipfile(io.BytesIO(data)) or name.endswith(".npz"):
        return {name: data}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {k: v for member in z.namelist() if not member.endswith("/")
                for k, v in unpacked(f"{name}!{member}", z.read(member)).items()}


def test_the_kit_holds_the_lessons_the_wheel_the_pins_and_a_readme(made):
    files = files_of(made.folder)
    assert made.zip == made.folder.with_name("kit.zip") and made.zip.is_file()
    lessons = {k: v for k, v in files.items() if k.startswith("lessons/")}
    assert lessons == {f"lessons/{k}": v for k, v in files_of(ROOT / "lessons").items()
                       if ".ipynb_checkpoints/" not in k and "__pycache__/" not in k}
    assert len([k for k in lessons if k.endswith(".ipynb")]) >= 8
    assert [k for k in lessons if k.endswith(".png")], "the reference pictures travel too"
    assert files["constraints.txt"] == (ROOT / "requirements" / "lock.txt").read_bytes()
    assert made.wheel == "aecourse-0.1.0-py3-none-any.whl" and made.wheel in files
    readme = files["README.md"].decode()
    assert f"pip install --constraint constraints.txt {made.wheel}" in readme
    assert f"aecourse check lessons/{made.lessons[0]}/{made.lessons[0]}.ipynb" in readme
    assert set(files) == set(lessons) | {"constraints.txt", made.wheel, "README.md"}
    with zipfile.ZipFile(made.zip) as z:  # the zip holds the folder, byte for byte
        assert {n.removeprefix("kit/"): z.read(n) for n in z.namelist()
                if not n.endswith("/")} == files
    wheel = zipfile.ZipFile(made.folder / made.wheel).namelist()
    assert "aecourse/cli.py" in wheel and "aecourse/datasets/data/fashion_mnist_sample.npz" in wheel
    assert {"aecourse/datasets/data/fashion_classifier.weights.h5",
            "aecourse/datasets/data/ddpm_unet.weights.h5"} <= set(wheel)
    assert {n.split("/")[0] for n in wheel} == {"aecourse", "aecourse-0.1.0.dist-info"}
    assert not [n for n in wheel if n.endswith(".ipynb")
                or {"solutions", "variants", "lessons"} & set(n.split("/")[:-1])], wheel


def course_secrets() -> set[str]:
    """The course's hidden-test lines (as the feedback finds them) and the lines of its
    solution regions, without those any released lesson shows."""
    sources = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    releases = [ROOT / "lessons" / p.relative_to(ROOT / "solutions") for p in sources]
    shown = {" ".join(line.split()) for p in releases
             for c in nbformat.read(p, as_version=4).cells for line in c.source.splitlines()}
    secrets = set()
    for source, release in zip(sources, releases, strict=True):
        nb = nbformat.read(source, as_version=4)
        secrets |= hidden_lines(nb, nbformat.read(release, as_version=4))
        for c in nb.cells:
            inside = False
            for line in c.source.splitlines():
                inside = (inside or line.strip() == MARKERS[0]) and line.strip() != MARKERS[1]
                secrets.add(" ".join(line.split()) if inside else "")
    return {line for line in secrets - shown if len(line) >= MIN_LINE}


def test_no_line_of_a_solution_or_hidden_test_is_anywhere_in_the_kit(made):
    secrets = course_secrets()
    assert len(secrets) > 500
    everything = {}
    for name, data in {**files_of(made.folder), "kit.zip": made.zip.read_bytes()}.items():
        everything.update(unpacked(name, data))
    assert len(everything) > 100 and any(n.startswith("kit.zip!kit/aecourse-0.1.0-py3")
                                         for n in everything)
    found = []
    for name, data in everything.items():
        if name.endswith(".ipynb"):
            lines = [line for c in nbformat.reads(data.decode(), as_version=4).cells
                     for line in c.source.splitlines()]
        else:
            lines = data.decode("utf-8", errors="replace").splitlines()
        found += [(name, line) for line in {" ".join(x.split()) for x in lines}
                  if line in secrets]
    assert not found, found[:5]


def toy_root(tmp_path: Path) -> Path:
    """A course with the package and one toy assignment; its lesson is released later."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "aecourse", root / "aecourse",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "requirements/lock.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        cell("code", "def square(x):\n    ### BEGIN SOLUTION\n"
             f'    return x * x  # "{SOLUTION_MARKER}"\n    ### END SOLUTION',
             grade_id="ex_square", solution=True),
        cell("code", "assert square(3) == 9\n### BEGIN HIDDEN TESTS\n"
             f"assert square(0) == 0, '{HIDDEN_MARKER}'\n### END HIDDEN TESTS",
             grade_id="test_square", grade=True, locked=True, points=1),
    ]
    (root / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(nb, root / "solutions" / "toy" / "toy.ipynb")
    (root / "lessons" / "toy").mkdir(parents=True)
    return root


def test_the_kit_is_refused_when_a_solution_or_hidden_test_is_in_it(tmp_path, capsys):
    root = toy_root(tmp_path)
    out = tmp_path / "handout" / "kit"

    # the instructor's notebook as the lesson: its lines are found, JSON-escaped as they are
    shutil.copy(root / "solutions" / "toy" / "toy.ipynb", root / "lessons" / "toy")
    assert main(["kit", "--root", str(root), "--output", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "refused, nothing written" in err, err
    assert "kit/lessons/toy/toy.ipynb" in err and SOLUTION_MARKER in err, err
    assert not out.exists() and not out.with_name("kit.zip").exists()

    # a clean lesson, but a hidden test copied into the package: found inside the wheel
    lesson = nbformat.read(root / "solutions" / "toy" / "toy.ipynb", as_version=4)
    lesson.cells[0].source = "def square(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    lesson.cells[1].source = "assert square(3) == 9"
    nbformat.write(lesson, root / "lessons" / "toy" / "toy.ipynb")
    (root / "aecourse" / "answers.py").write_text(
        f"CHECKS = [\n    \"assert square(0) == 0, '{HIDDEN_MARKER}'\",\n]\n")
    assert main(["kit", "--root", str(root), "--output", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert re.search(r"kit(\.zip!kit)?/aecourse-0\.1\.0-py3-none-any\.whl!aecourse/answers\.py",
                     err) and HIDDEN_MARKER in err, err
    assert not out.exists()

    (root / "aecourse" / "answers.py").unlink()
    assert main(["kit", "--root", str(root), "--output", str(out)]) == 0, capsys.readouterr()
    assert "none found" in capsys.readouterr().out
    assert (out / "lessons" / "toy" / "toy.ipynb").is_file() and out.with_name("kit.zip").is_file()


def test_the_kit_will_not_replace_a_folder_that_is_not_a_kit(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["kit", "--root", str(ROOT), "--output", str(tmp_path)]) == 2
    assert "is not a kit" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def fresh_environment(folder: Path) -> Path:
    """A virtual environment with the course's dependencies but not the course: the
    dependencies are those of this one, seen through a folder of links that leaves out
    every trace of aecourse (its editable install maps it to the checkout)."""
    venv.EnvBuilder(with_pip=False).create(folder / "venv")
    python = folder / "venv" / "bin" / "python"
    deps = folder / "deps"
    deps.mkdir()
    here = Path(sysconfig.get_path("purelib"))
    for entry in here.iterdir():
        if not entry.name.lower().startswith(("aecourse", "__editable__")):
            (deps / entry.name).symlink_to(entry)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "course-dependencies.pth").write_text(f"{deps}\n")
    return python


RUN_UP_TO_THE_FIRST_EXERCISE = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
nb.cells = nb.cells[:first] + [nbformat.v4.new_code_cell(
    "import sys, aecourse; print(sys.executable); print(aecourse.__file__)")]
NotebookClient(nb, timeout=120, kernel_name="python3").execute()
print(nb.cells[-1].outputs[0].text)
"""


@pytest.mark.slow
def test_a_fresh_environment_with_only_the_kit_runs_a_lesson_and_checks_it(made, tmp_path):
    work = tmp_path / "student"  # outside the repository: nothing of it is reachable
    shutil.copytree(made.folder, work / "kit")
    python = fresh_environment(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(AECOURSE_BUDGET="grading", AECOURSE_OFFLINE="1", MPLBACKEND="Agg",
               PATH=f"{python.parent}{os.pathsep}{env['PATH']}")

    def run(*args, check=True):
        done = subprocess.run([str(a) for a in args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300)
        assert not check or done.returncode == 0, done.stdout + done.stderr
        return done

    assert run(python, "-c", "import aecourse", check=False).returncode == 1, \
        "aecourse must not be importable before the wheel is installed"
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
        "--disable-pip-version-check", work / "kit" / made.wheel)
    where = run(python, "-c", "import sys, aecourse; print(aecourse.__file__, *sys.path, "
                "sep='\\n')").stdout.splitlines()
    installed = Path(where[0])
    assert installed.is_relative_to(tmp_path / "venv"), where
    assert ROOT not in [Path(p).resolve() for p in where[1:] if p], where  # "": the cwd

    lesson = work / "kit" / "lessons" / LESSON / f"{LESSON}.ipynb"
    ran = run(python, "-c", RUN_UP_TO_THE_FIRST_EXERCISE, lesson)
    assert ran.stdout.split() == [str(python), str(installed)], ran.stdout

    answered(ROOT, LESSON, work, "ex1_build_linear_autoencoder")
    checked = run(python.parent / "aecourse", "check", work / LESSON / f"{LESSON}.ipynb",
                  check=False)
    out = checked.stdout
    assert checked.returncode == 1, out + checked.stderr
    assert re.search(r"^test_ex1_shapes\s+1/1\s*$", out, re.M), out
    assert re.search(r"^test_ex1_compiled_sgd_mse\s+2/2\s*$", out, re.M), out
    assert re.search(r"^test_ex2_same_plane\s+0/2\s+exercise ex2_compare_with_pca is not done",
                     out, re.M), out

    hidden = run(python.parent / "aecourse", "check", "--hidden", lesson, check=False)
    assert hidden.returncode == 1 and "needs the instructor's solutions/" in hidden.stderr
    assert len(hidden.stderr.strip().splitlines()) == 1, hidden.stderr
