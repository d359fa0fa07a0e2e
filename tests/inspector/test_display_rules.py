"""The reading rules as the pages see them (issue 15, rules 3, 5 and 6), on files written by
real writers: non-finite histogram steps do not blank the others, a zoom on a clock that went
back finds every point, a tall image is shown downscaled with the full one a click away, and
every JSON download writes non-finite values as strings."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.histogram.summary_v2 import histogram_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboardX import SummaryWriter

from dashboards import curves_data
from dashboards.app import create_app
from dashboards.downloads import card_json
from dashboards.histograms import nonfinite_count, rebin, shared_edges
from inspector.image_display import ImageRefused, display_image, read_header
from inspector.store import Store


def _load(logdir) -> Store:
    store = Store(logdir)
    store.reload()
    return store


def test_a_non_finite_histogram_step_leaves_the_others_drawable(tmp_path):
    # shared case hist_nonfinite: +inf in the last step of one tag, NaN in the first of another
    rng = np.random.RandomState(0)
    w = EventFileWriter(str(tmp_path / "run"))
    for s in range(6):
        x, y = rng.randn(200), rng.randn(200)
        x[0] = np.inf if s == 5 else x[0]
        y[0] = np.nan if s == 0 else y[0]
        for tag, data in (("w_inf", x), ("w_nan", y)):
            w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s,
                                        summary=histogram_pb(tag, data.astype(np.float32))))
    w.close()
    store = _load(tmp_path)
    for tag, bad in (("w_inf", 5), ("w_nan", 0)):
        hists = [p.value for p in store.histograms("run", tag)]
        assert not np.isfinite(hists[bad]).all()
        edges = shared_edges(hists, 30)
        assert np.isfinite(edges).all()
        drawn = [np.isfinite(rebin(h, edges)).all() and rebin(h, edges).sum() > 0
                 for h in hists]
        assert sum(drawn) == 5 and not drawn[bad]
        assert all(nonfinite_count(h) == 0 for i, h in enumerate(hists) if i != bad)
    assert nonfinite_count(store.histograms("run", "w_inf")[5].value) > 0  # named on hover


def test_zoom_on_relative_time_finds_every_point_when_the_clock_went_back(tmp_path):
    # shared case wall_clock_zoom: steps 100..199 logged 2,600 s before step 99
    t0 = 1_700_000_000.0
    w = SummaryWriter(str(tmp_path / "run"))
    for s in range(200):
        wall = t0 + 10 * s if s < 100 else t0 + 1000 - 3600 + 10 * (s - 100)
        w.add_scalar("loss", 1.0 / (1 + s), s, walltime=wall)
    w.close()
    store = _load(tmp_path)
    got = curves_data.step_ranges(store, {"xaxis.range[0]": 0, "xaxis.range[1]": 500},
                                  {"unit": 1}, ["run"], "loss", "relative")
    lo, hi = got["run"]
    assert lo <= 0 and hi >= 50  # covers steps 0..50, at 0..500 s (the case's rule)


def _image_event(tag: str, png: bytes, width: int, height: int) -> event_pb2.Event:
    image = summary_pb2.Summary.Image(height=height, width=width, colorspace=1,
                                      encoded_image_string=png)
    return event_pb2.Event(step=0, wall_time=1.0, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, image=image)]))


def test_a_tall_image_is_shown_downscaled_with_the_full_image_a_click_away(tmp_path):
    # shared case huge_image: 512 x 100,000 pixels (a 51-megapixel strip of a few hundred KB)
    img = np.zeros((100_000, 512), np.uint8)
    img[:, :256] = 255
    out = io.BytesIO()
    Image.fromarray(img).save(out, "PNG")
    png = out.getvalue()
    w = EventFileWriter(str(tmp_path / "run"))
    w.add_event(_image_event("strip", png, 512, 100_000))
    w.close()
    shown = display_image(png)
    assert shown.downscaled and shown.width * shown.height <= 2_000_000
    assert shown.height / shown.width == pytest.approx(100_000 / 512, rel=0.02)
    assert Image.open(io.BytesIO(shown.data)).size == (shown.width, shown.height)

    app = create_app(str(tmp_path), reload_interval=None)
    from dashboards import state
    state.of(app).store.reload()
    from dashboards.pages import images

    with app.server.test_request_context("/images"):
        body = str(images.render("run", "strip", 0))
    assert "Img(" in body and "full image" in body and "refused" not in body
    full = app.server.test_client().get("/_inspector/image?run=run&tag=strip&index=0&k=0")
    assert full.status_code == 200 and full.data == png


def test_a_decompression_bomb_is_refused_in_one_line():
    bomb = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (100_000).to_bytes(4, "big") * 2
    with pytest.raises(ImageRefused) as err:
        read_header(bomb + b"\x08\x02\x00\x00\x00")
    assert "\n" not in str(err.value) and "100000x100000" in str(err.value)


def test_card_download_writes_non_finite_values_as_strings(tmp_path):
    w = SummaryWriter(str(tmp_path / "run"))
    for s, v in enumerate([0.5, math.nan, math.inf, -math.inf]):
        w.add_scalar("loss", v, s)
    w.close()

    def strict(token):
        raise ValueError(token)

    doc = json.loads(card_json(_load(tmp_path), "loss", ["run"], 0.0), parse_constant=strict)
    assert doc["runs"]["run"]["values"] == [0.5, "NaN", "Infinity", "-Infinity"]


def test_a_window_between_two_logged_points_keeps_both_neighbours():
    from inspector.ranges import step_window

    steps = np.array([0, 1, 2, 3])
    assert step_window(steps, steps, 1.2, 1.8) == (1.0, 2.0)  # zoom between steps 1 and 2
    assert step_window(steps, steps, 0.5, 2.5) == (0.0, 3.0)  # widened to the border
    walls = np.array([10.0, 30.0, 20.0, 40.0])  # a clock that went back once
    lo, hi = step_window(steps, walls, 15.0, 25.0)
    assert lo <= 2 <= hi  # the point inside (step 2, wall 20) is covered
    assert step_window(np.array([], int), np.array([]), 0, 1) is None
