/* Training curves, drawn in the browser.
 *
 * Why Dash alone is not enough: the smoothing slider, the x-axis switch, log scale and
 * outlier clipping must answer while the slider is still being dragged. A server callback
 * per slider tick would send every card's data back and forth; instead the server sends each
 * card's series once (base64 typed arrays, see dashboards/series.py) and this file smooths
 * them and builds the Plotly figure. `ema` is the twin of dashboards/smoothing.py.
 */
(function () {
  "use strict";

  const decodedChunks = new WeakMap();

  function decode(b64, kind) {
    if (!b64) return null;
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (kind === "i4") return new Int32Array(bytes.buffer);
    if (kind === "f8") return new Float64Array(bytes.buffer);
    return new Float32Array(bytes.buffer);
  }

  function chunkArrays(chunk) {
    let out = decodedChunks.get(chunk);
    if (!out) {
      out = {
        s: decode(chunk.s, chunk.sk), w: decode(chunk.w), v: decode(chunk.v),
        lo: decode(chunk.lo), hi: decode(chunk.hi), m: decode(chunk.m), c: decode(chunk.c),
      };
      decodedChunks.set(chunk, out);
    }
    return out;
  }

  function concat(parts) {
    if (parts.length === 1) return parts[0];
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Float64Array(n);
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; }
    return out;
  }

  function seriesArrays(series) {
    const parts = series.chunks.map(chunkArrays);
    const pick = (k) => (parts.every((p) => p[k]) ? concat(parts.map((p) => p[k])) : null);
    return { s: pick("s"), w: pick("w"), v: pick("v"), lo: pick("lo"), hi: pick("hi"),
             m: pick("m"), c: pick("c") };
  }

  /* TensorBoard's debiased EMA. With counts, a bucket standing for n points advances the
   * average by weight**n, so decimated lines keep the full series' time constant. */
  function ema(values, weight, counts) {
    const n = values.length;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = values[i];
    if (!n) return out;
    if (!Number.isFinite(weight)) weight = 0;
    weight = Math.max(0, Math.min(weight, 1));
    let constant = true;
    for (let i = 1; i < n && constant; i++) constant = values[i] == values[0];
    if (constant) return out;
    let last = 0, accumulated = 0;
    for (let i = 0; i < n; i++) {
      const value = values[i];
      if (!Number.isFinite(value)) continue;
      const k = counts ? counts[i] : 1;
      if (!(k > 0)) continue;
      const decay = Math.pow(weight, k);
      last = last * decay + (1 - decay) * value;
      accumulated += k;
      out[i] = last / (weight === 1 ? 1 : 1 - Math.pow(weight, accumulated));
    }
    return out;
  }

  function quantile(sorted, q) {
    if (!sorted.length) return NaN;
    const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  function timeUnit(maxSeconds) {
    if (maxSeconds < 120) return { div: 1, name: "s" };
    if (maxSeconds < 7200) return { div: 60, name: "min" };
    return { div: 3600, name: "h" };
  }

  function rgba(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }

  /* Per bucket, the envelope draws min->max or max->min, ending nearer the bucket's last
   * value, so at one bucket per pixel it is the raw line as a screen would show it. */
  function envelope(x, lo, hi, v) {
    const n = x.length, xs = new Float64Array(2 * n), ys = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const up = Math.abs(hi[i] - v[i]) <= Math.abs(v[i] - lo[i]);
      xs[2 * i] = x[i]; xs[2 * i + 1] = x[i];
      ys[2 * i] = up ? lo[i] : hi[i]; ys[2 * i + 1] = up ? hi[i] : lo[i];
    }
    return [xs, ys];
  }


  const MERGE_ABOVE = 24;

  function escapeHtml(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  }

  function joinWithGaps(parts) {
    let n = 0;
    for (const p of parts) n += p.length + 1;
    const out = new Float64Array(n);
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; out[i++] = NaN; }
    return out;
  }

  function mergedTraces(drawn, type, smooth) {
    const byColor = new Map();
    for (const d of drawn) {
      if (!byColor.has(d.series.color)) byColor.set(d.series.color, []);
      byColor.get(d.series.color).push(d);
    }
    const traces = [];
    for (const [color, ds] of byColor) {
      const names = (key) => ds.flatMap((d) => [...Array(d[key].length + 1)].map(() => d.series.name));
      traces.push({ type: type, x: joinWithGaps(ds.map((d) => d.rawX)),
                    y: joinWithGaps(ds.map((d) => d.rawY)), mode: "lines",
                    line: { color: color, width: smooth ? 1 : 1.2 }, opacity: smooth ? 0.25 : 0.9,
                    text: smooth ? undefined : names("rawX"), name: color,
                    hoverinfo: smooth ? "skip" : undefined,
                    hovertemplate: smooth ? undefined : "<b>%{text}</b><br>%{x}<br>%{y:.5g}<extra></extra>" });
      if (smooth) {
        traces.push({ type: type, x: joinWithGaps(ds.map((d) => d.x)),
                      y: joinWithGaps(ds.map((d) => d.sy)), mode: "lines",
                      line: { color: color, width: 1.5 }, text: names("x"), name: color,
                      hovertemplate: "<b>%{text}</b><br>%{x}<br>smoothed %{y:.5g}<extra></extra>" });
      }
    }
    return traces;
  }

  function xValues(a, series, xmode, unit, tzShiftMs) {
    if (xmode === "relative") return Float64Array.from(a.w, (w) => w / unit.div);
    if (xmode === "wall") return Float64Array.from(a.w, (w) => (series.wall0 + w) * 1000 - tzShiftMs);
    return a.s;
  }

  function figure(data, smoothing, xmode, options) {
    options = options || [];
    const logy = options.indexOf("logy") >= 0;
    const outliers = options.indexOf("outliers") >= 0;
    const tzShiftMs = new Date().getTimezoneOffset() * 60000;
    const layout = {
      margin: { l: 52, r: 12, t: 8, b: 38 }, showlegend: false, hovermode: "closest",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fff",
      modebar: { bgcolor: "rgba(0,0,0,0)", color: "#9aa3ae", activecolor: "#2f6fd0" },
      font: { family: "Inter, system-ui, sans-serif", size: 11, color: "#3c4450" },
      xaxis: { gridcolor: "#eef0f3", zeroline: false, showspikes: false },
      yaxis: { gridcolor: "#eef0f3", zeroline: false, type: logy ? "log" : "linear",
               exponentformat: "SI" },
      uirevision: (data ? data.uirev : "") + "|" + xmode + "|" + logy + "|" + outliers,
    };
    if (!data || !data.order || !data.order.length) {
      layout.xaxis.visible = false; layout.yaxis.visible = false;
      layout.annotations = [{ text: data && data.note ? data.note : "", showarrow: false,
                              font: { color: "#8a93a0" } }];
      return { data: [], layout: layout };
    }
    const all = data.order.map((name) => [data.series[name], seriesArrays(data.series[name])]);
    let maxRel = 0, points = 0;
    for (const [, a] of all) {
      for (let i = 0; i < a.w.length; i++) if (a.w[i] > maxRel) maxRel = a.w[i];
      points += a.s.length;
    }
    const unit = timeUnit(maxRel);
    // Per-pixel decimation bounds the points of a line, so SVG is the fast path; software
    // WebGL (headless, remote desktops) was measured far slower than SVG for many traces.
    const type = points > 300000 ? "scattergl" : "scatter";
    const smooth = smoothing > 0;
    const drawn = [], yForRange = [];
    for (const [series, a] of all) {
      const x = xValues(a, series, xmode, unit, tzShiftMs);
      let rawX = x, rawY = a.v;
      if (series.kind !== "group" && a.lo) [rawX, rawY] = envelope(x, a.lo, a.hi, a.v);
      const base = a.m && a.c ? a.m : a.v, counts = a.m && a.c ? a.c : null;
      drawn.push({ series, a, x, rawX, rawY, base, counts,
                   sy: smooth ? ema(base, smoothing, counts) : null });
      for (let i = 0; i < a.v.length; i++) yForRange.push(a.v[i]);
    }
    // Many runs: one trace per colour (runs sharing a colour look the same anyway), lines
    // split by gaps, the run named per point for hover. Plotly's cost is per trace.
    const merge = drawn.length > MERGE_ABOVE;
    const traces = merge ? mergedTraces(drawn, type, smooth) : [];
    if (!merge) {
      for (const d of drawn) {
        const { series, a, x } = d, color = series.color, name = series.name;
        const hover = `<b>${escapeHtml(name)}</b><br>%{x}<br>`;
        if (series.kind === "group" && a.lo) {
          traces.push({ type: type, x: x, y: a.lo, mode: "lines", line: { width: 0 },
                        hoverinfo: "skip", name: name });
          traces.push({ type: type, x: x, y: a.hi, mode: "lines", line: { width: 0 },
                        fill: "tonexty", fillcolor: rgba(color, 0.18), hoverinfo: "skip",
                        name: name });
        }
        traces.push({
          type: type, x: d.rawX, y: d.rawY, mode: "lines", name: name,
          line: { color: color, width: smooth ? 1 : 1.5 }, opacity: smooth ? 0.28 : 1,
          hoverinfo: smooth ? "skip" : undefined,
          hovertemplate: smooth ? undefined : hover + "%{y:.5g}<extra></extra>",
        });
        if (smooth) {
          traces.push({
            type: type, x: x, y: d.sy, mode: "lines", name: name,
            line: { color: color, width: 1.8 }, customdata: a.v,
            hovertemplate: hover + "smoothed %{y:.5g}<br>value %{customdata:.5g}<extra></extra>",
          });
        }
      }
    }
    if (xmode === "wall") layout.xaxis.type = "date";
    layout.xaxis.title = { text: xmode === "step" ? "step" : xmode === "relative"
                             ? `relative time (${unit.name})` : "wall time",
                           standoff: 4, font: { size: 10, color: "#8a93a0" } };
    if (outliers) {
      const vals = yForRange.filter((v) => Number.isFinite(v) && (!logy || v > 0))
        .map((v) => (logy ? Math.log10(v) : v)).sort((p, q) => p - q);
      const lo = quantile(vals, 0.05), hi = quantile(vals, 0.95);
      if (Number.isFinite(lo) && Number.isFinite(hi)) {
        const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1;
        layout.yaxis.range = [lo - pad, hi + pad];
        layout.yaxis.autorange = false;
      }
    }
    return { data: traces, layout: layout, view: { unit: unit.div, tz: tzShiftMs }, drawn: drawn };
  }

  /* ---- the smoothing preview while the slider is dragged -----------------------------
   * A full Plotly redraw costs ~100 ms per card on a slow machine, too slow to follow a
   * drag. While dragging, each card in view draws its lines on a canvas over the plot area
   * (Plotly's own axes map the values); on release the card is redrawn by Plotly. */
  const drawnByTag = new Map();
  let previewTimer = null;

  function graphOf(tag) {
    for (const card of document.querySelectorAll(".curve-card")) {
      if (card.dataset.tag === tag) return card.querySelector(".js-plotly-plot");
    }
    return null;
  }

  function inView(el) {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.width > 0;
  }

  function endPreview(gd) {
    if (gd && gd.__preview) { gd.__preview.remove(); gd.__preview = null; }
    if (gd) gd.classList.remove("previewing");
  }

  function previewCard(gd, drawn, weight) {
    const fl = gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.yaxis) return;
    const xa = fl.xaxis, ya = fl.yaxis, ratio = window.devicePixelRatio || 1;
    let canvas = gd.__preview;
    if (!canvas) {
      canvas = gd.__preview = document.createElement("canvas");
      canvas.className = "smoothing-preview";
      if (getComputedStyle(gd).position === "static") gd.style.position = "relative";
      gd.appendChild(canvas);
    }
    const w = xa._length, h = ya._length;
    if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
    if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio);
    Object.assign(canvas.style, { left: xa._offset + "px", top: ya._offset + "px",
                                  width: w + "px", height: h + "px" });
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const line = (xs, ys, color, alpha, width) => {
      ctx.beginPath();
      ctx.strokeStyle = color; ctx.globalAlpha = alpha; ctx.lineWidth = width;
      let pen = false;
      for (let i = 0; i < xs.length; i++) {
        const px = xa.c2p(xs[i]), py = ya.c2p(ys[i]);
        if (!Number.isFinite(px) || !Number.isFinite(py)) { pen = false; continue; }
        if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
    };
    for (const d of drawn) {
      if (d.series.kind === "group" && d.a.lo) {
        line(d.x, d.a.lo, d.series.color, 0.35, 0.8);
        line(d.x, d.a.hi, d.series.color, 0.35, 0.8);
      }
      line(d.rawX, d.rawY, d.series.color, weight > 0 ? 0.28 : 1, weight > 0 ? 1 : 1.5);
      if (weight > 0) line(d.x, ema(d.base, weight, d.counts), d.series.color, 1, 1.8);
    }
    gd.classList.add("previewing");
  }

  function preview(weight) {
    if (weight === null || weight === undefined) return window.dash_clientside.no_update;
    const t0 = performance.now();
    const shown = [];
    for (const [tag, drawn] of drawnByTag) {
      const gd = graphOf(tag);
      if (gd && inView(gd)) { previewCard(gd, drawn, weight); shown.push(gd); }
    }
    window.inspectorPreviewMs = performance.now() - t0;
    clearTimeout(previewTimer);
    // Cards whose figure does not change on release (same value) drop the canvas by timeout.
    previewTimer = setTimeout(() => shown.forEach(endPreview), 1500);
    return window.dash_clientside.no_update;
  }

  function figureCallback(data, smoothing, xmode, options) {
    const fig = figure(data, smoothing, xmode, options);
    const view = fig.view || { unit: 1, tz: 0 };
    view.zoomed = !!(data && data.range);
    const ctx = window.dash_clientside.callback_context;
    const tag = ctx && ctx.outputs_list ? ctx.outputs_list[0].id.tag : null;
    if (tag !== null) {
      if (fig.drawn) drawnByTag.set(tag, fig.drawn); else drawnByTag.delete(tag);
      const gd = graphOf(tag);
      if (gd && gd.__preview && gd.once) gd.once("plotly_afterplot", () => endPreview(gd));
    }
    delete fig.view;
    delete fig.drawn;
    return [fig, view];
  }

  window.inspectorCurves = { ema: ema, figure: figure, decode: decode, preview: preview };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    curves: {
      figure: figureCallback,
      preview: preview,
      agg: function (mode, regex, hparam, band) {
        return { mode: mode || "none", regex: regex || "", hparam: hparam || "",
                 band: band || "minmax" };
      },
      viewport: function () {
        const main = Math.max(window.innerWidth - 280, 360);
        const cols = Math.max(1, Math.floor((main - 24) / 470));
        return { px: Math.max(200, Math.round((main - 24) / cols - 80)) };
      },
    },
  });
})();
