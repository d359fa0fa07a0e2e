"""The run picker's runs: an event file holding nothing (an empty file in the logdir root,
a writer that has only just opened its file) is no run to pick until it holds a series."""

from __future__ import annotations

from dashboards.components.run_picker import runs_with_data
from inspector.cli import main
from inspector.store import Store
from tests.inspector.eventfiles import event_name, scalar_file


def test_a_run_without_series_is_hidden_until_it_holds_one(tmp_path, capsys):
    scalar_file(tmp_path / "a" / event_name(), steps=range(3))
    (tmp_path / event_name()).write_bytes(b"")  # the logdir root: the run "."
    store = Store(tmp_path)
    store.reload()
    assert "." in store.runs()
    assert runs_with_data(store) == ["a"]
    assert main(["info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ".: no series (empty event files; the dashboard hides it)" in out
    scalar_file(tmp_path / event_name(1), steps=range(2))
    store.reload()
    assert runs_with_data(store) == [".", "a"]


def _texts(component) -> list[str]:
    """Every run label's text in a picker tree (Dash components, depth first)."""
    out = []
    if getattr(component, "className", None) in ("run-name", "part-name", "folder-name"):
        out.append(component.children)
    children = getattr(component, "children", None)
    options = getattr(component, "options", None) or []
    for child in ([*children] if isinstance(children, list) else [children]) + \
            [o["label"] for o in options]:
        if child is not None and not isinstance(child, str):
            out.extend(_texts(child))
    return out


def test_tree_labels_are_short_but_never_equal(tmp_path):
    from dashboards import state
    from dashboards.components.run_picker import groups

    long = "x" * 30
    runs = [f"exp/{long}-a-{long}{part}" for part in ("", "/train", "/validation")] + \
           [f"exp/{long}-b-{long}/train", "exp/plain"]
    with state.inspecting(Store(tmp_path)):
        tree = groups(runs, runs, "")
    texts = _texts(tree[0])
    trainings = [t for t in texts if t.startswith("x")]
    assert len(trainings) == 2 and trainings[0] != trainings[1]
    assert all(len(t) < 61 for t in trainings)
    assert texts.count("test") == 1 and "plain" in texts and "exp" in texts
