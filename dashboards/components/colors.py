"""One colour per run, kept for the life of the server so a run looks the same on every page.

Colours are handed out in the order runs are first seen (runs found together are taken in
name order), from a palette whose neighbours are easy to tell apart. A hash of the name would
survive restarts too, but two runs of a pair (train/validation) would collide one time in
twenty; handing out in order never gives two of the first twenty runs the same colour.
"""

from __future__ import annotations

import threading

# Tableau 10 then its lighter/darker companions: distinct on white, fine for colour-blind eyes
# in the first ten.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f",
    "#1f4e79", "#b35806", "#8c1c13", "#2a7f7a", "#2d6a27",
    "#a88a00", "#6a3d7c", "#d4607a", "#5c4033", "#3f3f3f",
)


def color_for_index(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


class RunColors:
    """Run name -> colour, assigned once and never changed."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._lock = threading.Lock()

    def colors(self, runs: list[str]) -> dict[str, str]:
        with self._lock:
            for run in sorted(r for r in runs if r not in self._index):
                self._index[run] = len(self._index)
            return {r: color_for_index(self._index[r]) for r in runs}

    def color(self, run: str) -> str:
        return self.colors([run])[run]
