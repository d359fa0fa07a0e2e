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
