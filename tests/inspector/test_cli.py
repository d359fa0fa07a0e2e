"""The command line as a user meets it: help texts, export, info, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from inspector.cli import main
from tests.inspector.eventfiles import event_name, scalar_file


def _run(*args):
    return subprocess.run([sys.executable, "-m", "inspector", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def logdir(tmp_path):
    scalar_file(tmp_path / "a" / event_name(), steps=range(5))
    scalar_file(tmp_path / "b" / event_name(), tag="acc", steps=range(3))
    return tmp_path


def test_export_csv_has_every_point(logdir, capsys):
    assert main(["export", str(logdir)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 8
    assert rows[0] == {"run": "a", "tag": "loss", "step": "0", "wall_time": "1000.0",
                       "value": "0.0"}
    assert float(rows[4]["value"]) == pytest.approx(0.4)


def test_export_json_to_file_with_filters(logdir, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["export", str(logdir), "--format", "json", "-o", str(out),
                 "--runs", "^b$"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 1, 2] and {r["tag"] for r in rows} == {"acc"}
    assert "wrote 3 rows" in capsys.readouterr().err


def test_read_scalars_returns_a_dataframe(logdir):
    import inspector

    df = inspector.read_scalars(logdir)
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert len(df) == 8 and set(df.run) == {"a", "b"}


def test_missing_logdir_is_one_line_and_exit_2():
    r = _run("export", "/no/such/dir")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [
    ["export"], ["export", ".", "--format", "xml"], ["serve", "--port", "99999"],
    ["frobnicate"], ["export", ".", "--runs", "("],
])
def test_bad_arguments_are_one_line_and_exit_2(args):
    r = _run(*args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().count("\n") == 0, r.stderr
    assert "Traceback" not in r.stderr


def test_every_subcommand_has_help():
    for cmd in ([], ["export"], ["serve"], ["info"], ["demo"], ["train"]):
        r = _run(*cmd, "--help")
        assert r.returncode == 0 and "usage: inspector" in r.stdout


def test_info_lists_runs_and_reports_damage(logdir):
    bad = logdir / "a" / event_name()
    with open(bad, "r+b") as f:
        f.seek(30)
        f.write(b"\xff\xff")
    r = _run("info", str(logdir))
    assert "a:" in r.stdout and "damage:" in r.stdout
    assert r.returncode == 1


@pytest.fixture
def busy_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def test_serve_reports_a_missing_logdir_before_a_busy_port(busy_port, tmp_path):
    r = _run("serve", "--logdir", str(tmp_path / "nonexistent"), "--port", str(busy_port))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0, r.stderr
    assert "is not a directory" in r.stderr and "in use" not in r.stderr


def test_demo_creates_no_logdir_when_its_port_is_busy(busy_port, tmp_path):
    new = tmp_path / "new" / "dir"
    r = _run("demo", "--logdir", str(new), "--port", str(busy_port))
    assert r.returncode == 2
    assert f"port {busy_port} is in use" in r.stderr
    assert not new.exists() and not new.parent.exists()
