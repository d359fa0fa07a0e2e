"""What the logging hook could not log in a logdir, and how to enable it: the lines of its
``inspector/warnings`` text summaries, for ``inspector info``. Never imports TensorFlow."""

from __future__ import annotations

from inspector.events import plugins as P


def hook_warnings(store) -> dict[str, list[str]]:
    """{run: warning lines} from the last ``inspector/warnings`` text of each run that has
    one (a loaded ``inspector.store.Store``); runs without warnings are left out."""
    out: dict[str, list[str]] = {}
    for run in store.runs():
        if P.TAG_WARNINGS not in store.kinds(run).get(P.KIND_TEXT, []):
            continue
        points = store.series(P.KIND_TEXT, run, P.TAG_WARNINGS)
        if not points:
            continue
        value = points[-1].value
        text = value.decode() if isinstance(value, bytes) else str(value)
        lines = [line.strip().removeprefix("- ").strip() for line in text.splitlines()]
        if any(lines):
            out[run] = [line for line in lines if line]
    return out
