"""Fashion-MNIST loading: downloads from a local HTTP server, validation, caches, fallbacks."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from aecourse.datasets import (
    CLASS_NAMES,
    DataError,
    DownloadError,
    SampleDataWarning,
    load_fashion_mnist,
    load_sample,
    make_plane_data,
    scale_and_split,
)
from aecourse.datasets import fashion_mnist as fm
from aecourse.datasets.download import download
from aecourse.datasets.idx import parse_idx, to_idx

from .conftest import SHARED_FASHION

N_TRAIN, N_TEST = 120, 40


def small_fashion(seed=0):
    """A tiny data set in the Fashion-MNIST layout: name -> gzipped IDX bytes."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.arange(N_TRAIN, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.arange(N_TEST, dtype=np.uint8) % 10,
    }
    return {name: gzip.compress(to_idx(a), mtime=0) for name, a in arrays.items()}, arrays


@pytest.fixture
def small_files(monkeypatch):
    """Make the loader expect the tiny data set (its shapes and SHA-256s) instead of the real."""
    files, arrays = small_fashion()
    expected = {
        name: ((-1, 28, 28) if "images" in name else (-1,), hashlib.sha256(data).hexdigest())
        for name, data in files.items()
    }
    monkeypatch.setattr(fm, "FILES", expected)
    return files, arrays


class Server:
    """A local HTTP server: ``routes`` maps a path to bytes, or to a callable for misbehaviour."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                elif callable(body):
                    body(self)
                else:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def mirror(self, prefix):
        return f"{self.url}/{prefix}/"


@pytest.fixture
def server():
    srv = Server()
    thread = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def write_files(folder, files):
    """Write ``files`` (name -> bytes) into ``folder``, creating it; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def serve(server, prefix, files):
    for name, data in files.items():
        server.routes[f"/{prefix}/{name}"] = data


def truncated(data):
    def send(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return send


def closed_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


# --- downloads ---------------------------------------------------------------------------


def test_download_verifies_and_moves_into_place(server, tmp_path, capsys):
    data = b"x" * 300_000
    server.routes["/m/f.bin"] = data
    path = download("f.bin", tmp_path, [server.mirror("m")], hashlib.sha256(data).hexdigest())
    assert path == tmp_path / "f.bin" and path.read_bytes() == data
    assert not (tmp_path / "f.bin.part").exists()
    bar = capsys.readouterr().err
    assert "f.bin" in bar and "100%" in bar, f"no progress bar on stderr: {bar!r}"


def test_hash_mismatch_keeps_nothing(server, tmp_path):
    server.routes["/m/f.bin"] = b"tampered"
    with pytest.raises(DownloadError, match="does not match"):
        download("f.bin", tmp_path, [server.mirror("m")], "0" * 64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_transfer_leaves_no_partial_file(server, tmp_path):
    data = os.urandom(200_000)
    server.routes["/m/f.bin"] = truncated(data)
    with pytest.raises(DownloadError, match="f.bin"):
        download("f.bin", tmp_path, [server.mirror("m")], hashlib.sha256(data).hexdigest(),
                 progress=False)
    assert list(tmp_path.iterdir()) == []


def test_second_mirror_is_used_when_first_fails(server, tmp_path):
    data = b"good data"
    server.routes["/second/f.bin"] = data
    mirrors = [closed_port(), server.mirror("first"), server.mirror("second")]
    path = download("f.bin", tmp_path, mirrors, hashlib.sha256(data).hexdigest(), progress=False)
    assert path.read_bytes() == data
    assert server.requests == ["/first/f.bin", "/second/f.bin"]


def test_error_lists_every_mirror(server, tmp_path):
    with pytest.raises(DownloadError) as err:
        download("f.bin", tmp_path, [server.mirror("a"), server.mirror("b")], "0" * 64,
                 progress=False)
    assert "/a/f.bin" in str(err.value) and "/b/f.bin" in str(err.value)


# --- load_fashion_mnist --------------------------------------------------------------------


def test_load_downloads_then_uses_the_cache(isolated_home, server, small_files):
    files, arrays = small_files
    serve(server, "m", files)
    (X_train, y_train), (X_test, y_test) = load_fashion_mnist(
        mirrors=[server.mirror("m")], progress=False)
    np.testing.assert_array_equal(X_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert X_train.dtype == np.uint8 and X_test.shape == (N_TEST, 28, 28)
    folder = isolated_home / "cache" / "aecourse" / "fashion-mnist"
    assert sorted(p.name for p in folder.glob("*.gz")) == sorted(files)
    assert (folder / fm.PARSED).is_file(), "parsed arrays should be cached beside the files"
    served = len(server.requests)
    (X_again, _), _ = load_fashion_mnist(mirrors=[server.mirror("m")], progress=False)
    np.testing.assert_array_equal(X_again, X_train)
    assert len(server.requests) == served, "a second load must not download again"


def test_a_changed_file_invalidates_the_parsed_cache(isolated_home, tmp_path, small_files):
    files, _ = small_files
    folder = write_files(tmp_path / "data", files)
    load_fashion_mnist(folder, download=False)
    labels = np.full(N_TEST, 3, dtype=np.uint8)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(to_idx(labels)))
    os.utime(folder / "t10k-labels-idx1-ubyte.gz", ns=(1, 1))
    _, (_, y_test) = load_fashion_mnist(folder, download=False)
    assert (y_test == 3).all()


def test_user_folder_is_not_written_to(isolated_home, tmp_path, small_files):
    files, _ = small_files
    folder = write_files(tmp_path / "readonly", files)
    load_fashion_mnist(folder, download=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)


def test_uncompressed_files_are_accepted(isolated_home, tmp_path, small_files):
    files, arrays = small_files
    for name, data in files.items():
        (tmp_path / name.removesuffix(".gz")).write_bytes(gzip.decompress(data))
    (_, y_train), _ = load_fashion_mnist(tmp_path, download=False)
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte.gz"])


def test_keras_cache_is_used_without_downloading(isolated_home, small_files):
    files, arrays = small_files
    write_files(isolated_home / "keras" / "datasets" / "fashion-mnist", files)
    (X_train, _), _ = load_fashion_mnist(mirrors=[closed_port()], progress=False)
    np.testing.assert_array_equal(X_train, arrays["train-images-idx3-ubyte.gz"])


def test_data_dir_from_environment(isolated_home, tmp_path, small_files, monkeypatch):
    write_files(tmp_path, small_files[0])
    monkeypatch.setenv("AECOURSE_DATA", str(tmp_path))
    (X_train, _), _ = load_fashion_mnist(download=False)
    assert len(X_train) == N_TRAIN


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: raw[: len(raw) - 100], "truncated"),
        (lambda raw: b"\x00\x00\x09\x03" + raw[4:], "not an IDX file"),
        (lambda raw: raw[:4] + (7).to_bytes(4, "big") + raw[8:], "truncated"),
        (lambda raw: raw[:8] + (27).to_bytes(4, "big") + raw[12:], "expected"),
        (lambda raw: raw[:10], "too short"),
    ],
    ids=["truncated", "bad-magic", "wrong-count", "wrong-size", "header-only"],
)
def test_corrupt_image_file_is_named_in_a_clear_error(isolated_home, tmp_path, small_files,
                                                      damage, message):
    files, _ = small_files
    for name, data in files.items():
        raw = gzip.decompress(data)
        if name == "train-images-idx3-ubyte.gz":
            raw = damage(raw)
        (tmp_path / name).write_bytes(gzip.compress(raw))
    with pytest.raises(DataError, match=message) as err:
        load_fashion_mnist(tmp_path, download=False)
    assert "train-images-idx3-ubyte.gz" in str(err.value)


def test_broken_gzip_is_a_clear_error(isolated_home, tmp_path, small_files):
    files, _ = small_files
    for name, data in files.items():
        (tmp_path / name).write_bytes(data[: len(data) // 2] if "t10k-images" in name else data)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz.*damaged or truncated"):
        load_fashion_mnist(tmp_path, download=False)


def test_labels_out_of_range_are_rejected(isolated_home, tmp_path, small_files):
    files, _ = small_files
    for name, data in files.items():
        if name == "train-labels-idx1-ubyte.gz":
            data = gzip.compress(to_idx(np.full(N_TRAIN, 42, dtype=np.uint8)))
        (tmp_path / name).write_bytes(data)
    with pytest.raises(DataError, match="train-labels.*0-9"):
        load_fashion_mnist(tmp_path, download=False)


def test_real_shapes_are_enforced():
    raw = to_idx(np.zeros((10, 28, 28), np.uint8))
    with pytest.raises(DataError, match=r"expected \(60000, 28, 28\)"):
        parse_idx(raw, (60000, 28, 28), "train-images")


def test_offline_falls_back_to_bundled_sample(isolated_home, monkeypatch):
    monkeypatch.setenv("AECOURSE_OFFLINE", "1")
    with pytest.warns(SampleDataWarning, match="AECOURSE_DATA") as record:
        (X_train, y_train), (X_test, y_test) = load_fashion_mnist()
    assert len(record) == 1 and "\n" not in str(record[0].message)
    assert X_train.shape == (3000, 28, 28) and X_test.shape == (500, 28, 28)
    assert X_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [300] * 10
    assert np.bincount(y_test).tolist() == [50] * 10
    assert X_train.std() > 50, "the sample should hold real images, not blanks"


def test_failed_download_falls_back_to_sample(isolated_home):
    with pytest.warns(SampleDataWarning, match="could not download|Connection refused"):
        (X_train, _), _ = load_fashion_mnist(mirrors=[closed_port()], progress=False)
    assert len(X_train) == 3000
    folder = isolated_home / "cache" / "aecourse" / "fashion-mnist"
    assert not list(folder.glob("*.part"))


def test_sample_is_balanced_in_any_slice_and_real():
    (X_s, y_s), (_, y_t) = load_sample()
    assert np.bincount(y_s[-250:], minlength=10).tolist() == [25] * 10
    assert np.bincount(y_t[:100], minlength=10).tolist() == [10] * 10
    if not SHARED_FASHION.is_dir():
        pytest.skip(f"full Fashion-MNIST not found at {SHARED_FASHION}")
    (X_full, y_full), _ = load_fashion_mnist(SHARED_FASHION, download=False)
    full = {(x.tobytes(), int(y)) for x, y in zip(X_full, y_full, strict=True)}
    assert all((x.tobytes(), int(y)) in full for x, y in zip(X_s, y_s, strict=True))


def test_full_shared_set(monkeypatch):
    folder = Path(os.environ.get("AECOURSE_DATA") or SHARED_FASHION)
    if not fm._complete(folder):
        pytest.skip(f"full Fashion-MNIST not found (AECOURSE_DATA or {SHARED_FASHION})")
    monkeypatch.setenv("AECOURSE_OFFLINE", "1")
    (X_train, y_train), (X_test, y_test) = load_fashion_mnist(folder)
    assert X_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert X_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


# --- helpers ---------------------------------------------------------------------------------


def test_scale_and_split():
    X = np.full((60000, 28, 28), 255, np.uint8)
    y = np.arange(60000) % 10
    (Xt, yt), (Xv, yv), (Xs, ys) = scale_and_split(X, y, X[:10], y[:10])
    assert Xt.shape == (55000, 28, 28) and Xv.shape == (5000, 28, 28) and len(Xs) == 10
    assert Xt.dtype == np.float32 and Xt.max() == 1.0
    np.testing.assert_array_equal(yv, y[-5000:])
    assert len(scale_and_split(X[:3000], y[:3000], X[:5], y[:5])[1][0]) == 250
    with pytest.raises(ValueError, match="n_valid"):
        scale_and_split(X[:10], y[:10], X[:1], y[:1], n_valid=10)


def test_class_names():
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[9] == "Ankle boot"


def test_plane_data_is_seeded_and_nearly_planar():
    X = make_plane_data(60, seed=42)
    assert X.shape == (60, 3) and X.dtype == np.float32
    np.testing.assert_array_equal(X, make_plane_data(60, seed=42))
    assert not np.array_equal(X, make_plane_data(60, seed=1))
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-6)
    variances = np.linalg.svd(X, compute_uv=False) ** 2
    assert variances[2] / variances.sum() < 0.1, "most variance should lie in the plane"
    normal = np.linalg.svd(X)[2][2]
    assert max(abs(normal)) < 0.99, "the plane should be tilted, not axis-aligned"
    with pytest.raises(ValueError):
        make_plane_data(2)
