"""Plumbing shared by the benchmark scripts: timing contenders in fresh child processes,
reading a child's peak memory, and printing figures. Knows nothing of what is measured."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "_data"  # gitignored; generated logdirs live here
REPO = Path(__file__).resolve().parents[1]


@dataclass
class ChildRun:
    wall_s: float  # from spawn to exit (or to the marker line, see run_until_line)
    peak_rss: int  # bytes: the child's own ru_maxrss, from wait4
    stdout: str
    stderr: str
    cpu_s: float = float("nan")  # user + system CPU seconds of the whole child, from wait4


def _wait(proc: subprocess.Popen) -> tuple[int, float]:
    """Reap ``proc`` with wait4; its own peak RSS in bytes (Linux reports KiB) and CPU
    seconds (user + system)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def run_python(args: list[str]) -> tuple[ChildRun, dict]:
    """Run ``python <args>`` in a fresh interpreter; its last stdout line must be JSON."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err, cwd=REPO)
        peak, cpu = _wait(proc)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return ChildRun(wall, peak, stdout, stderr, cpu), \
        json.loads(stdout.strip().splitlines()[-1])


def run_until_line(argv: list[str], marker: str, timeout_s: float = 3600) -> tuple[ChildRun, str]:
    """Start ``argv``, time it until a stderr line containing ``marker``, then close its stdin
    (servers started with --die-after-stdin exit on that) and reap it for its peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    seen, found = [], None
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            found = line
            break
        if time.perf_counter() - start > timeout_s:
            break
    wall = time.perf_counter() - start
    proc.stdin.close()
    if found is None:
        proc.kill()
    rest = proc.stderr.read()
    peak, cpu = _wait(proc)
    if found is None:
        raise RuntimeError(f"{argv[0]} never printed {marker!r}:\n{''.join(seen)}{rest}")
    return ChildRun(wall, peak, "", "".join(seen) + rest, cpu), found


def median_range(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:,.0f} MB"
