"""What a curves card holds, as pure functions of the store: the payload ``assets/curves.js``
draws, the step ranges of a zoomed axis, the live patch of what changed, and downloads.

The page (``dashboards/pages/curves.py``) lays out and wires; everything here takes the
store (and the run colours) as arguments, so it is unit-tested without a server or browser.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timezone

import numpy as np
from dash import Patch

from dashboards.aggregate import (
    aggregate,
    bucket_aggregate,
    group_runs_by_hparam,
    group_runs_by_regex,
    run_hparams,
)
from dashboards.components.colors import RunColors
from dashboards.components.run_names import run_labels
from dashboards.downloads import card_csv, card_json, safe_filename, selection_export
from dashboards.series import compile_filter, pack_chunk, query_series, run_payload
from inspector.events import plugins as P
from inspector.ranges import in_range, step_window
from inspector.store import ScalarSeries, Store

Ranges = dict[str, tuple[float, float]]


def runs_with_tag(store: Store, tag: str, runs: list[str]) -> list[str]:
    """The runs of ``runs`` (in that order) that logged the scalar ``tag``."""
    have = store.tags(P.KIND_SCALARS)
    return [r for r in runs if tag in have.get(r, ())]


def _colors(colors: Mapping[str, str] | None, runs: list[str]) -> Mapping[str, str]:
    return colors if colors is not None else RunColors().colors(runs)


def card_payload(store: Store, tag: str, runs: list[str], agg: dict | None, max_points: int,
                 ranges: Ranges | None = None, *, colors: Mapping[str, str] | None = None
                 ) -> tuple[dict, dict]:
    """(data for curves.js, small meta for live updates) of the card of ``tag``.

    ``runs`` are the selected runs (those without the tag are left out), ``agg`` the run
    grouping (``{"mode": "none"|"regex"|"hparam", "regex", "hparam", "band"}``),
    ``max_points`` the buckets per run, ``ranges`` per-run step ranges of a zoomed axis
    (None: every step). Each series is read from the store once.
    """
    runs = runs_with_tag(store, tag, runs)
    colors = _colors(colors, runs)
    agg = agg or {}
    groups = run_groups(store, runs, agg)
    data = {"tag": tag, "series": {}, "order": [], "range": bool(ranges)}
    meta = {"runs": {}, "agg": groups is not None, "px": max_points, "range": bool(ranges),
            "ranges": {r: list(v) for r, v in (ranges or {}).items()}}
    if groups is None:
        for run in runs:
            series = query_series(store, run, tag, (ranges or {}).get(run), max_points)
            data["series"][run] = run_payload(series, run, colors[run])
            data["order"].append(run)
            meta["runs"][run] = run_meta(series.steps, series.wall_times, series.decimated,
                                         series.wall0, series.total)
    else:
        for name, members in groups.items():
            label = f"{name} ({len(members)} runs)"
            data["series"][label] = _group_payload(
                {r: store.scalars(r, tag) for r in members}, label, colors[members[0]],
                ranges, agg.get("band", "minmax"), max_points)
            data["order"].append(label)
            meta["runs"].update({r: {"group": label} for r in members})
    data["uirev"] = _uirev(tag, data["order"], agg)
    if groups is None:  # legend and hover names (run_names.run_labels)
        data["labels"] = run_labels(data["order"], store.runs())
    return data, meta


def _group_payload(series: dict[str, ScalarSeries], label: str, color: str,
                   ranges: Ranges | None, band: str, max_points: int) -> dict:
    """One group's mean line and band, packed like a run's series."""
    parts = []
    for run, s in series.items():
        if not len(s.steps):
            continue
        steps, walls, values = s.steps, s.wall_times - s.wall_times[0], s.values
        if ranges and run in ranges:  # zoomed: aggregate the visible steps only
            lo, hi = ranges[run]
            keep = in_range(steps, lo, hi)  # steps may go back (a counter reset in a file)
            steps, walls, values = steps[keep], walls[keep], values[keep]
        if len(steps):
            parts.append((steps, walls, values))
    b = bucket_aggregate(aggregate(parts, band), max_points)
    wall0 = min((float(s.wall_times[0]) for s in series.values() if len(s.wall_times)),
                default=0.0)
    return {"name": label, "color": color, "kind": "group", "wall0": wall0,
            "total": sum(s.total for s in series.values()), "dec": True,
            "chunks": [pack_chunk(b["steps"], b["rel_walls"], b["values"], b["mins"],
                                  b["maxs"], b["means"], b["counts"])]}


def run_groups(store: Store, runs: list[str], agg: dict) -> dict[str, list[str]] | None:
    """{group name: runs} of the aggregation ``agg``; None when runs are not grouped."""
    mode = agg.get("mode", "none")
    if mode == "regex" and agg.get("regex"):
        pattern, _ = compile_filter(agg["regex"])
        return group_runs_by_regex(runs, pattern)
    if mode == "hparam" and agg.get("hparam"):
        return group_runs_by_hparam(runs, run_hparams(store), agg["hparam"])
    return None


def _uirev(tag: str, names: list[str], agg: dict) -> str:
    key = "\n".join([tag, *names, repr(sorted((agg or {}).items()))])
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def info_text(meta: dict) -> str:
    """The line under a card: runs, points, and whether it is decimated or zoomed."""
    totals = [m.get("total", 0) for m in meta["runs"].values() if "total" in m]
    if meta.get("agg"):
        return f"{len(set(m['group'] for m in meta['runs'].values()))} groups"
    points = sum(totals)
    shown = "all points" if not any(m.get("dec") for m in meta["runs"].values()) else (
        f"≤{meta['px']} buckets/run, min–max kept")
    zoom = " · zoomed" if meta.get("range") else ""
    return f"{len(totals)} runs · {points:,} points · {shown}{zoom}"


def step_ranges(store: Store, relayout: dict | None, view: dict | None, runs: list[str],
                tag: str, xmode: str) -> Ranges | None:
    """Per-run step ranges for a zoomed x axis (Plotly's ``relayoutData``; ``view`` is what
    curves.js reports of the axis: ``unit`` of relative time in seconds, ``tz`` offset in
    ms); None when the whole series is shown."""
    if not relayout or relayout.get("xaxis.autorange"):
        return None
    if "xaxis.range[0]" in relayout:
        a, b = relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]
    elif isinstance(relayout.get("xaxis.range"), list):
        a, b = relayout["xaxis.range"]
    else:
        return None
    view = view or {}
    offsets = None
    if xmode == "relative":
        unit = float(view.get("unit", 1))
        lo_rel, hi_rel = float(a) * unit, float(b) * unit
    elif xmode == "wall":
        tz = float(view.get("tz", 0)) / 1000.0
        lo_rel, hi_rel = date_seconds(a) + tz, date_seconds(b) + tz
        offsets = 0.0
    out = {}
    for run in runs_with_tag(store, tag, runs):  # a run may have vanished meanwhile
        s = store.scalars(run, tag)
        if not len(s.steps):
            continue
        if xmode == "step":
            window = step_window(s.steps, s.steps, float(a), float(b))
        else:
            base = s.wall_times[0] if offsets is None else offsets
            # Wall times may go back (a clock reset, a resumed job): no binary search on them.
            window = step_window(s.steps, s.wall_times, base + lo_rel, base + hi_rel)
        if window is not None:
            out[run] = window
    return out


def date_seconds(text) -> float:
    """Seconds since the epoch of a Plotly date axis value (ms number or ISO text, UTC)."""
    if isinstance(text, (int, float)):
        return float(text) / 1000.0
    return datetime.fromisoformat(str(text)).replace(tzinfo=timezone.utc).timestamp()


# ---------------------------------------------------------------- live updates
def live_payloads(store: Store, changes: dict, metas: list[dict | None], tags: list[str],
                  runs: list[str], agg: dict | None,
                  colors: Mapping[str, str] | None = None) -> tuple[list, list, list]:
    """(data, meta, info) per loaded card (``metas[i]`` of the card of ``tags[i]``; None
    when it has not loaded) after the series in ``changes["changed"]`` grew; None where a
    card is unchanged. A zoomed or aggregated card is re-queried (the same ranges); a plain
    one is patched (``patch_runs``)."""
    changed = {r: set(k.get(P.KIND_SCALARS, [])) for r, k in changes["changed"].items()}
    colors = _colors(colors, runs)
    datas, new_metas, infos = [], [], []
    for meta, tag in zip(metas, tags, strict=True):
        touched = [r for r in runs if tag in changed.get(r, ())]
        if meta is None or not touched:
            datas.append(None)
            new_metas.append(None)
            infos.append(None)
            continue
        if meta.get("agg") or meta.get("range") or any(r not in meta["runs"] for r in touched):
            ranges = {r: tuple(v) for r, v in (meta.get("ranges") or {}).items()} or None
            data, meta = card_payload(store, tag, runs, agg, meta["px"], ranges, colors=colors)
            datas.append(data)
        else:
            datas.append(patch_runs(store, tag, touched, meta, colors))
        new_metas.append(meta)
        infos.append(info_text(meta))
    return datas, new_metas, infos


def patch_runs(store: Store, tag: str, touched: list[str], meta: dict,
               colors: Mapping[str, str] | None = None) -> Patch:
    """Extend an undecimated series with its new points (one more chunk); re-query a series
    that is, or becomes, decimated (its buckets move as it grows) or that was re-logged
    from an earlier step (a restart replaced points the browser holds). Updates ``meta``."""
    patch = Patch()
    colors = _colors(colors, touched)
    px = meta["px"]
    for run in touched:
        m = meta["runs"][run]
        if not m["dec"] and m["last"] is not None:
            full = store.scalars(run, tag)
            known = int(np.searchsorted(full.steps, m["last"], "right"))
            intact = known == m["total"] and known and full.wall_times[known - 1] == m["lastw"]
            if intact and full.total <= px:
                if full.total > known:
                    patch["series"][run]["chunks"].append(pack_chunk(
                        full.steps[known:], full.wall_times[known:] - m["wall0"],
                        full.values[known:]))
                    patch["series"][run]["total"] = full.total
                    patch["series"][run]["last"] = int(full.steps[-1])
                    meta["runs"][run] = run_meta(full.steps, full.wall_times, False,
                                                 m["wall0"], full.total)
                continue
        series = query_series(store, run, tag, None, px)
        patch["series"][run] = run_payload(series, run, colors[run])
        meta["runs"][run] = run_meta(series.steps, series.wall_times, series.decimated,
                                     series.wall0, series.total)
    return patch


def run_meta(steps, walls, decimated: bool, wall0: float, total: int) -> dict:
    """What the live update needs to know of a run's series in a card."""
    return {"last": int(steps[-1]) if len(steps) else None,
            "lastw": float(walls[-1]) if len(walls) else None,
            "dec": bool(decimated), "wall0": wall0, "total": int(total)}


# ---------------------------------------------------------------- downloads
def card_download(store: Store, tag: str, runs: list[str], smoothing: float,
                  fmt: str) -> dict:
    """``dcc.Download`` data of one card: every point of its runs, as csv or json."""
    runs = runs_with_tag(store, tag, runs)
    name = safe_filename(tag)
    if fmt == "csv":
        return {"content": card_csv(store, tag, runs, smoothing), "filename": f"{name}.csv"}
    return {"content": card_json(store, tag, runs, smoothing), "filename": f"{name}.json"}


def shown_tags(store: Store, runs: list[str], tag_filter: str | None) -> list[str]:
    """Scalar tags of ``runs`` that the tag filter lets through, sorted."""
    pattern, _ = compile_filter(tag_filter)
    have = store.tags(P.KIND_SCALARS)
    return sorted({t for r in runs for t in have.get(r, [])
                   if pattern is None or pattern.search(t)})


def selection_download(store: Store, runs: list[str], tag_filter: str | None,
                       fmt: str) -> dict:
    """``dcc.Download`` data of every point of every card shown, as ``inspector export``."""
    content = selection_export(store, runs, shown_tags(store, runs, tag_filter), fmt)
    return {"content": content, "filename": "scalars.csv" if fmt == "csv" else "scalars.jsonl"}
