"""Small logdirs for the evaluation, hparams, projector and compare views, written by the
project's real writer and the same functions the hook calls (``log_evaluation``, the kind
modules), from predictions the tests keep to check the views against."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inspector.evaluation import log_evaluation
from inspector.events import plugins as P
from inspector.kinds import embeddings, predictions
from inspector.summary import SummaryWriter

CLASSES = ("cat", "dog", "bird")


@dataclass
class TrialLog:
    """What a trial's logs were written from: per step, true labels [n] and class
    probabilities [n, C]; the probe rows (true, predicted, confidence) per step."""

    name: str
    hparams: dict
    labels: dict[int, np.ndarray] = field(default_factory=dict)
    probs: dict[int, np.ndarray] = field(default_factory=dict)
    probes: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


def probe_images(n: int) -> np.ndarray:
    """[n, 8, 8, 1] uint8: probe i is a flat grey of level 20 * i (tells them apart)."""
    return np.stack([np.full((8, 8, 1), (20 * i) % 256, np.uint8) for i in range(n)])


def write_trial(root, name: str, hparams: dict, seed: int, *, steps: int = 3, n: int = 60,
                probes: int = 12, predictions_log: bool = True) -> TrialLog:
    """``<root>/<name>`` with hparams, ``/validation`` with the evaluation of each step (and
    probe predictions), ``/train`` with the probe pictures, losses and embeddings."""
    rng = np.random.default_rng(seed)
    log = TrialLog(name, hparams)
    c = len(CLASSES)
    skill = float(hparams.get("lr", 0.1)) * 5
    with SummaryWriter(root / name) as w:
        w.hparams(hparams)
    with SummaryWriter(root / name / "validation") as val, \
            SummaryWriter(root / name / "train") as train:
        train.image(P.TAG_PROBE_INPUTS, probe_images(probes), 0, max_outputs=probes)
        for step in range(1, steps + 1):
            y = rng.integers(0, c, n)
            logits = rng.normal(0, 1, (n, c))
            logits[np.arange(n), y] += skill * step
            p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            log.labels[step], log.probs[step] = y, p
            log_evaluation(val, y, p, step, class_names=CLASSES, num_thresholds=11)
            val.scalar("epoch/loss", float(-np.log(p[np.arange(n), y]).mean()), step)
            val.scalar("epoch/accuracy", float((p.argmax(1) == y).mean()), step)
            train.scalar("epoch/loss", 1.0 / step + seed * 0.01, step)
            py = y[:probes]
            pp = p[:probes].argmax(1)
            pc = p[:probes].max(1)
            log.probes[step] = (py, pp, pc)
            if predictions_log:
                predictions.write(val, py, pp, pc, step, labels=CLASSES)
            vectors = rng.normal(0, 1, (n, 5)) + y[:, None] * 3.0
            embeddings.write(train, "dense1", vectors, step, labels=y, label_names=CLASSES)
            train.image(P.TAG_EMBEDDINGS + "dense1/images", probe_images(n), step,
                        max_outputs=n)
    return log
