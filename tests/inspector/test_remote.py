"""Remote logdirs through fsspec, against a real S3-protocol server (moto's server mode,
started here on loopback): runs read as from a local folder, a growing file is tailed by byte
ranges, thousands of objects are listed, and storage errors are one clear line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inspector.errors import InspectorError
from inspector.remote import RemoteFileSystem, is_remote
from inspector.store import Store
from inspector.summary import SummaryWriter

MOTO = Path(sys.executable).with_name("moto_server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_moto(**env) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto server did not start")


@pytest.fixture(scope="module")
def s3_endpoint():
    proc, url = _start_moto()
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """An s3fs filesystem on the local server with fresh test credentials in the environment
    (the standard variables, as a user's shell would hold them)."""
    import s3fs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    bucket = f"b{time.monotonic_ns()}"
    fs.mkdir(bucket)
    return fs, bucket


def _write_run(path: Path, steps: int, tag: str = "loss") -> None:
    with SummaryWriter(path) as w:
        for s in range(steps):
            w.scalar(tag, 1.0 / (s + 1), s)
            w.histogram("weights", np.arange(10.0) + s, s)


def _upload(fs, local: Path, prefix: str) -> None:
    for f in local.rglob("*"):
        if f.is_file():
            fs.pipe(f"{prefix}/{f.relative_to(local).as_posix()}", f.read_bytes())


def test_url_schemes():
    assert is_remote("s3://b/p") and is_remote("gs://b") and not is_remote("file:///tmp/x")
    assert not is_remote("/tmp/logs") and not is_remote("C:/logs")


def test_s3_logdir_reads_like_the_local_one(tmp_path, s3):
    fs, bucket = s3
    _write_run(tmp_path / "a" / "train", 5)
    _write_run(tmp_path / "b", 3)
    _upload(fs, tmp_path, f"{bucket}/logs")
    local, remote = Store(tmp_path), Store(f"s3://{bucket}/logs")
    local.reload()
    remote.reload()
    assert remote.runs() == local.runs() == ["a/train", "b"]
    for run in ("a/train", "b"):
        assert remote.scalars(run, "loss").values.tolist() == \
            local.scalars(run, "loss").values.tolist()
        assert [p.step for p in remote.series("histograms", run, "weights")] == \
            [p.step for p in local.series("histograms", run, "weights")]


class _CountingS3(RemoteFileSystem):
    def __init__(self, url):
        super().__init__(url)
        self.bytes_read = 0

    def read(self, path, offset, length):
        data = super().read(path, offset, length)
        self.bytes_read += len(data)
        return data


def test_a_growing_file_is_tailed_by_byte_range(tmp_path, s3):
    fs, bucket = s3
    _write_run(tmp_path / "run", 40)
    [event_file] = (tmp_path / "run").glob("*tfevents*")
    data = event_file.read_bytes()
    key = f"{bucket}/logs/run/{event_file.name}"
    fs.pipe(key, data[: len(data) // 2])  # the writer has flushed half so far
    remote = _CountingS3(f"s3://{bucket}/logs")
    store = Store(remote.root, fs=remote)
    store.reload()
    first = len(store.scalars("run", "loss").values)
    assert 0 < first < 40
    read_before = remote.bytes_read
    fs.pipe(key, data)  # the object now holds the whole file
    store.reload()
    assert store.scalars("run", "loss").steps.tolist() == list(range(40))
    # Only what the file gained was fetched (plus the partial record left at the cut).
    assert remote.bytes_read - read_before < len(data) - read_before + 4096


def test_thousands_of_objects_are_listed(tmp_path, s3):
    fs, bucket = s3
    _write_run(tmp_path / "one", 1)
    [f] = (tmp_path / "one").glob("*tfevents*")
    blob = f.read_bytes()
    objects = {f"{bucket}/logs/run{i:04d}/{f.name}": blob for i in range(60)}
    objects.update({f"{bucket}/logs/run{i % 60:04d}/ckpt-{i}.data": b"x" for i in range(2000)})
    fs.pipe(objects)
    store = Store(f"s3://{bucket}/logs")
    store.reload()
    assert len(store.runs()) == 60
    assert store.scalars("run0042", "loss").values.tolist() == [1.0]


def test_missing_bucket_is_one_clear_line(s3):
    store = Store("s3://no-such-bucket-here/logs")
    with pytest.raises(InspectorError, match="bucket does not exist"):
        store.reload()


def test_denied_access_is_one_clear_line_without_the_secret(monkeypatch):
    proc, url = _start_moto(INITIAL_NO_AUTH_ACTION_COUNT="0")  # this server checks keys
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        result = subprocess.run([sys.executable, "-m", "inspector", "info", "s3://bkt/logs"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert "denied" in line and "s3cr3t-value" not in result.stderr + result.stdout
    finally:
        proc.terminate()
        proc.wait(10)


def test_dashboard_serves_an_s3_logdir(tmp_path, s3):
    from dashboards import state
    from dashboards.app import create_app

    fs, bucket = s3
    _write_run(tmp_path / "r", 2)
    _upload(fs, tmp_path, f"{bucket}/logs")
    app = create_app(f"s3://{bucket}/logs", reload_interval=None)
    served = state.of(app).store
    served.reload()
    assert served.runs() == ["r"]
