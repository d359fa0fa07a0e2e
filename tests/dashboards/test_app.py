"""The app factory, serve()'s refusals, and the curves page's server side (decimation per
card, zoom, live Patch)."""

import socket

import numpy as np
import pytest

from dashboards import app as app_module
from dashboards.app import create_app, serve
from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.summary import SummaryWriter
from tests.dashboards.conftest import write_scalars


@pytest.fixture
def app(logdir):
    application = create_app(logdir, reload_interval=0.2)
    yield application
    app_module.state.of(application).stop()


def test_pages_register_themselves(app):
    import dash

    paths = {p["path"] for p in dash.page_registry.values()}
    assert {"/", "/distributions", "/images", "/text"} <= paths


def test_app_serves_its_shell_and_one_set_of_callbacks(logdir):
    create_app(logdir, reload_interval=None)  # an app never served must leave nothing behind
    application = create_app(logdir, reload_interval=0.2)
    client = application.server.test_client()
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout").get_json()
    assert "selected-runs" in str(layout)
    outputs = [d["output"] for d in client.get("/_dash-dependencies").get_json()]
    assert len(outputs) == len(set(outputs))
    app_module.state.of(application).stop()


def test_token_is_required_on_every_request(logdir):
    application = create_app(logdir, reload_interval=None, token="s3cret")
    client = application.server.test_client()
    assert client.get("/").status_code == 403
    assert client.get("/_dash-layout").status_code == 403
    assert client.get("/?token=s3cret").status_code == 303
    assert client.get("/_dash-layout").status_code == 200


def test_serve_refuses_a_busy_port(logdir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(InspectorError) as err:
            serve(logdir, host="127.0.0.1", port=port)
    assert str(err.value) == f"port {port} is in use; pass --port N or stop the other server"


def test_serve_refuses_a_public_address_without_token(logdir):
    with pytest.raises(InspectorError, match="without an access token"):
        serve(logdir, host="0.0.0.0", port=0)


def test_missing_logdir_is_a_user_error(tmp_path):
    with pytest.raises(InspectorError, match="not a directory"):
        create_app(tmp_path / "nope")


def test_card_payload_is_decimated_per_pixel_and_requeried_on_zoom(store):
    from dashboards import curves_data as curves

    data, meta = curves.card_payload(store, "loss", ["exp/seed0", "exp/seed1"], None, 120)
    assert data["order"] == ["exp/seed0", "exp/seed1"]
    chunk = data["series"]["exp/seed0"]["chunks"][0]
    assert chunk["n"] <= 120 and "lo" in chunk and meta["runs"]["exp/seed0"]["dec"]
    zoomed, zmeta = curves.card_payload(store, "loss", ["exp/seed0"], None, 120,
                                        {"exp/seed0": (100.0, 199.0)})
    assert zoomed["series"]["exp/seed0"]["chunks"][0]["n"] == 100  # every point, no buckets
    assert "lo" not in zoomed["series"]["exp/seed0"]["chunks"][0] and zmeta["range"]


def test_card_payload_aggregates_groups(store):
    from dashboards import curves_data as curves

    agg = {"mode": "regex", "regex": r"(exp)/seed\d", "band": "std"}
    data, meta = curves.card_payload(store, "acc", ["exp/seed0", "exp/seed1", "exp/seed2"], agg,
                                     100)
    assert data["order"] == ["exp (3 runs)"] and meta["agg"]
    assert data["series"]["exp (3 runs)"]["kind"] == "group"


def test_a_zoomed_aggregate_is_computed_on_the_visible_steps_at_full_detail(store):
    from dashboards import curves_data as curves

    agg = {"mode": "regex", "regex": r"(exp)/seed\d", "band": "minmax"}
    runs = ["exp/seed0", "exp/seed1", "exp/seed2"]
    whole, _ = curves.card_payload(store, "loss", runs, agg, 100)
    assert whole["series"]["exp (3 runs)"]["chunks"][0]["n"] <= 100  # 1,000 steps in buckets
    ranges = {r: (490.0, 520.0) for r in runs}
    zoomed, meta = curves.card_payload(store, "loss", runs, agg, 100, ranges)
    chunk = zoomed["series"]["exp (3 runs)"]["chunks"][0]
    assert chunk["n"] == 31  # every step of the range, none outside it
    assert meta["range"] and meta["ranges"]["exp/seed0"] == [490.0, 520.0]


def test_live_update_of_a_zoomed_card_keeps_its_range(tmp_path):
    from dashboards import curves_data as curves
    from inspector.store import Store

    write_scalars(tmp_path / "run", "loss", range(2000), np.linspace(1, 0, 2000))
    store = Store(tmp_path)
    store.reload()
    _, meta = curves.card_payload(store, "loss", ["run"], None, 100, {"run": (100.0, 150.0)})
    write_scalars(tmp_path / "run", "loss", range(2000, 2100), np.zeros(100))
    store.reload()
    changes = {"changed": {"run": {P.KIND_SCALARS: ["loss"]}}}
    datas, metas, _ = curves.live_payloads(store, changes, [meta], ["loss"], ["run"], None)
    chunk = datas[0]["series"]["run"]["chunks"][0]
    assert chunk["n"] == 51 and metas[0]["range"]  # still the zoomed steps, every point


def test_live_update_appends_only_new_points_of_an_undecimated_series(tmp_path):
    from dashboards import curves_data as curves
    from inspector.store import Store

    with SummaryWriter(tmp_path / "exp" / "seed1") as writer:
        for step in range(50):
            writer.scalar("acc", 0.5, step)
    store = Store(tmp_path)
    store.reload()
    _, meta = curves.card_payload(store, "acc", ["exp/seed1"], None, 600)
    with SummaryWriter(tmp_path / "exp" / "seed1") as writer:
        for step in range(50, 60):
            writer.scalar("acc", 1.0, step)
    store.reload()
    patch = curves.patch_runs(store, "acc", ["exp/seed1"], meta)
    ops = patch.to_plotly_json()["operations"]
    appended = [op for op in ops if op["operation"] == "Append"]
    assert appended and appended[0]["location"] == ["series", "exp/seed1", "chunks"]
    assert appended[0]["params"]["value"]["n"] == 10
    assert meta["runs"]["exp/seed1"]["last"] == 59 and meta["runs"]["exp/seed1"]["total"] == 60
