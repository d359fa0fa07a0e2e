"""The mixed logdir of the ingest benchmark: 20 LeNet-5 runs as Inspector's Keras hook writes
them (histograms, images, kernels, feature maps, embeddings, confusion matrices, PR curves, op
and layer graphs, hparams, epoch and batch scalars), 500,000 events in all.

Training 20 runs long enough for that takes hours, so the hook runs once for real (``inspector
train lenet5 --quick``, one epoch) and its records are the template: every record of epoch 1
is written again for each later epoch with its step and wall time changed, the once-only
records (graphs, probe inputs, hparams) once, and the batch-axis scalars (the hook writes
``batch/<metric>`` every ``update_freq`` batches; 1 here) in the form the hook writes epoch
scalars. Nothing else of a record changes, so every byte layout is the hook's own.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

RUNS, EPOCHS, EVENTS = 20, 12, 500_000
BATCH_TAGS = ("batch/loss", "batch/accuracy", "batch/learning_rate", "batch/steps_per_second")


def _records(path: Path) -> list[bytes]:
    buf = path.read_bytes()
    out, off = [], 0
    while off + 12 <= len(buf):
        (n,) = struct.unpack("<Q", buf[off : off + 8])
        out.append(buf[off + 12 : off + 12 + n])
        off += 16 + n
    return out


def make_template(root: Path) -> Path:
    """Run the real hook once (LeNet-5, one epoch on the shipped digits); returns the run."""
    run = root / "lenet5" / "t"
    if not run.exists():
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "inspector", "train", "lenet5", "--quick",
                        "--epochs", "2", "--dataset", "mnist5k", "--logdir", str(root),
                        "--run-name", "t", "--no-progress"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return run


def _split(events) -> dict:
    """A template file's events: once-only ones, per-epoch pattern (epoch 1), step 0 ones."""
    once, step0, epoch, last = [], [], [], []
    steps = [e.step for e in events if e.WhichOneof("what") == "summary"]
    for e in events:
        what = e.WhichOneof("what")
        if what != "summary" or any(v.tag.startswith(("probe/", "keras", "_hparams_"))
                                    for v in e.summary.value):
            once.append(e)
        elif 1 not in steps:  # written once, after training (the test-set results)
            last.append(e)
        elif e.step == 0:
            step0.append(e)
        elif e.step == 1:
            epoch.append(e)
    return {"once": once, "step0": step0, "epoch": epoch, "last": last}


def write_logdir(template: Path, out: Path) -> dict:
    """The 20-run logdir under ``out``; returns its manifest (events, expected points)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tensorboard.compat.proto import event_pb2

    from inspector.events.framing import encode_record

    files = {}
    for path in sorted(template.rglob("*tfevents*")):
        rel = path.parent.relative_to(template).as_posix()
        events = [event_pb2.Event.FromString(r) for r in _records(path)]
        files.setdefault(rel, []).append(_split(events))
    train = files["train"][0]
    # The batch-scalar form: the hook's epoch/loss record, re-tagged.
    [scalar] = [e for e in train["epoch"] if e.summary.value[0].tag == "epoch/loss"]
    fixed = 0
    for parts in files.values():
        for p in parts:
            fixed += len(p["once"]) + len(p["step0"]) + EPOCHS * len(p["epoch"]) + len(p["last"])
    batch_events = (EVENTS - RUNS * fixed) // RUNS
    batches = batch_events // len(BATCH_TAGS)
    extra = batch_events - batches * len(BATCH_TAGS)
    per_epoch = -(-batches // EPOCHS)
    points = events_written = 0
    for i in range(RUNS):
        clock = [1.7e9 + i * 1e5]

        def stamp(e, step, clock=clock):
            clock[0] += 0.01
            e.step, e.wall_time = step, clock[0]
            return encode_record(e.SerializeToString())

        for rel, parts in files.items():
            for n, p in enumerate(parts):
                d = out / f"run_{i:02d}" / rel
                d.mkdir(parents=True, exist_ok=True)
                chunks = [stamp(e, e.step) for e in p["once"]]
                chunks += [stamp(e, 0) for e in p["step0"]]
                count = len(p["once"]) + len(p["step0"])
                done = 0
                for epoch in range(1, EPOCHS + 1):
                    if rel == "train":
                        for b in range(min(per_epoch, batches - done)):
                            done += 1
                            for j, tag in enumerate(BATCH_TAGS):
                                scalar.summary.value[0].tag = tag
                                scalar.summary.value[0].tensor.tensor_content = \
                                    struct.pack("<f", 0.1 * j + b)
                                chunks.append(stamp(scalar, done))
                                count += 1
                        if epoch == EPOCHS:
                            for _ in range(extra):
                                chunks.append(stamp(scalar, done))
                                count += 1
                    chunks += [stamp(e, epoch) for e in p["epoch"]]
                    count += len(p["epoch"])
                chunks += [stamp(e, EPOCHS + 1) for e in p["last"]]
                count += len(p["last"])
                name = f"events.out.tfevents.{1700000000 + i * 10 + n}.bench.{i}.{n}"
                (d / name).write_bytes(b"".join(chunks))
                events_written += count
    for path in out.rglob("*tfevents*"):
        for r in _records(path):
            e = event_pb2.Event.FromString(r)
            what = e.WhichOneof("what")
            points += len(e.summary.value) if what == "summary" else what in (
                "graph_def", "tagged_run_metadata")
    return {"runs": RUNS, "epochs": EPOCHS, "events": events_written,
            "expected_points": points,
            "files": sum(1 for _ in out.rglob("*tfevents*")),
            "bytes": sum(p.stat().st_size for p in out.rglob("*tfevents*")),
            "writer": "Inspector's Keras hook (LeNet-5), records re-stamped per epoch",
            "made": time.strftime("%Y-%m-%d %H:%M")}


if __name__ == "__main__":
    t = make_template(Path(sys.argv[1]) / "template")
    print(json.dumps(write_logdir(t, Path(sys.argv[1]) / "mixed"), indent=1))
