"""Run names as a person reads them: trainings with their parts, and short labels that
never shorten to the same text.

A run is a directory path (``mlp/sweep/activation=relu/train``); the store keeps it so and
this module never renames anything, it only decides what is shown. A *training* is a run
directory whose ``train`` / ``validation`` (``val``, ``eval``) subdirectories are runs too;
those are its parts, and the training's own directory, when it is a run, is its ``test``
part (the trainers write the test-set evaluation and the hparams there). Any other run is a
training of one part, itself. Pure functions, no Dash: the run picker and the curves page
use them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# Subdirectory names that make a run one part of a training, and what the part is called.
PART_NAMES = {"train": "train", "validation": "validation", "val": "validation",
              "eval": "eval"}
TEST_PART = "test"  # the training's own directory: test-set results and hparams
ROOT_RUN = "."  # the store's name of a run in the logdir itself
ROOT_LABEL = "(logdir)"


@dataclass
class Training:
    """One training: ``name`` (its directory, a run name or not), ``folder`` (the directory
    holding it, "" at the top) and ``parts``: (part label, run name) pairs, in the order
    train, validation, eval, test; a training of one plain run has the part ("", run)."""

    name: str
    folder: str
    leaf: str
    parts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def runs(self) -> list[str]:
        return [run for _, run in self.parts]


def _split(run: str) -> tuple[str, str]:
    parent, _, leaf = run.rpartition("/")
    return parent, leaf


def training_of(run: str, runs: set[str] | list[str]) -> tuple[str, str]:
    """(training name, part label) of ``run`` among ``runs``. A part directory belongs to
    its parent (``ROOT_RUN`` for a part at the top); a run that has part directories is
    that training's ``test`` part; anything else is its own training (part label "")."""
    runs = runs if isinstance(runs, set) else set(runs)
    parent, leaf = _split(run)
    if leaf in PART_NAMES and run != ROOT_RUN:
        return (parent or ROOT_RUN), PART_NAMES[leaf]
    prefix = "" if run == ROOT_RUN else run + "/"
    if any(f"{prefix}{part}" in runs for part in PART_NAMES):
        return run, TEST_PART
    return run, ""


_PART_ORDER = ["train", "validation", "eval", TEST_PART, ""]


def trainings(runs: list[str]) -> list[Training]:
    """The trainings of ``runs`` in name order, each with its parts (see ``Training``)."""
    known = set(runs)
    by_name: dict[str, Training] = {}
    for run in runs:
        name, part = training_of(run, known)
        if name not in by_name:
            folder, leaf = ("", ROOT_LABEL) if name == ROOT_RUN else _split(name)
            by_name[name] = Training(name, folder, leaf)
        by_name[name].parts.append((part, run))
    for t in by_name.values():
        t.parts.sort(key=lambda p: (_PART_ORDER.index(p[0]), p[1]))
    return [by_name[name] for name in sorted(by_name)]


def middle_ellipsis(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, its middle replaced by "…" when longer
    (the start and the end of a run name are what tell runs apart)."""
    if len(text) <= width:
        return text
    width = max(width, 3)
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail:]


def _around(text: str, at: int, width: int) -> str:
    """``text`` in about ``width`` characters keeping its start, its end and the part
    around position ``at`` (where it differs from its look-alikes), "…" for the rest."""
    if len(text) <= width:
        return text
    keep = max(width - 2, 3)
    head = tail = keep // 4
    mid = keep - head - tail
    start = min(max(head, at - mid // 2), len(text) - tail - mid)
    end = start + mid
    return (text[:head] + ("…" if start > head else "") + text[start:end]
            + ("…" if end < len(text) - tail else "") + text[len(text) - tail:])


def distinct_ellipses(texts: list[str], width: int) -> dict[str, str]:
    """text -> shortened text, each about ``width`` characters, never two alike: a middle
    ellipsis; where that makes look-alikes, the part where they differ is kept instead;
    where even that is not enough, wider."""
    texts = list(dict.fromkeys(texts))
    if not texts:
        return {}
    while True:
        short = {t: middle_ellipsis(t, width) for t in texts}
        alike: dict[str, list[str]] = {}
        for text, cut in short.items():
            alike.setdefault(cut, []).append(text)
        for group in alike.values():
            if len(group) > 1:
                at = len(os.path.commonprefix(group))
                short.update({t: _around(t, at, width) for t in group})
        if len(set(short.values())) == len(texts) or width >= max(map(len, texts)):
            return short
        width += 4


def run_labels(runs: list[str], all_runs: list[str] | None = None,
               width: int = 36) -> dict[str, str]:
    """run -> the label a chart shows for it: the path without the folders every run
    shares, a training's own directory called ``<training>/test`` (judged among
    ``all_runs``, default ``runs``), middle-ellipsised to ``width`` characters but never to
    two equal labels. One run keeps its last two path parts."""
    if not runs:
        return {}
    known = set(all_runs if all_runs is not None else runs)
    full = {}
    for run in runs:
        name, part = training_of(run, known)
        if part == TEST_PART:
            full[run] = f"{'' if name == ROOT_RUN else name + '/'}{TEST_PART}"
        else:
            full[run] = run
    paths = [label.split("/") for label in full.values()]
    if len(runs) == 1:
        common = max(len(paths[0]) - 2, 0)
    else:
        common = 0
        shortest = min(len(p) for p in paths)
        while common < shortest - 1 and len({p[common] for p in paths}) == 1:
            common += 1
    stripped = {run: "/".join(label.split("/")[common:]) for run, label in full.items()}
    if len(set(stripped.values())) < len(stripped):  # a real ".../test" run: names as they are
        stripped = {run: run for run in runs}
    short = distinct_ellipses(sorted(set(stripped.values())), width)
    return {run: short[label] for run, label in stripped.items()}
