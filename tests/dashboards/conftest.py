"""Fixtures: small logdirs written by the project's real writer, and a store served the way
``create_app`` serves it (without the reload thread)."""

from __future__ import annotations

import numpy as np
import pytest

from dashboards import state
from inspector.store import Store
from inspector.summary import SummaryWriter


def write_scalars(run_dir, tag: str, steps, values, wall0: float = 1.7e9) -> None:
    with SummaryWriter(run_dir) as writer:
        for step, value in zip(steps, values, strict=True):
            writer.scalar(tag, float(value), int(step), wall_time=wall0 + int(step) * 0.5)


@pytest.fixture(scope="session")
def logdir(tmp_path_factory):
    """exp/seed{0,1,2}: 'loss' (1,000 steps, one spike), 'acc' (50 steps), a histogram.
    Shared by the session: tests must not write into it."""
    tmp_path = tmp_path_factory.mktemp("logdir")
    rng = np.random.default_rng(0)
    for seed in range(3):
        with SummaryWriter(tmp_path / "exp" / f"seed{seed}") as writer:
            for step in range(1000):
                value = 1.0 / (1 + step) + 0.01 * rng.standard_normal()
                if seed == 0 and step == 500:
                    value = 50.0  # the spike no decimation may hide
                writer.scalar("loss", value, step, wall_time=1.7e9 + seed * 100 + step)
                if step < 50:
                    writer.scalar("acc", step / 50 + seed * 0.1, step,
                                  wall_time=1.7e9 + seed * 100 + step)
            for step in range(0, 100, 10):
                writer.histogram("weights/dense", rng.normal(step / 100, 1, 500), step)
    return tmp_path


@pytest.fixture
def store(logdir):
    s = Store(logdir)
    s.reload()
    with state.inspecting(s):
        yield s
