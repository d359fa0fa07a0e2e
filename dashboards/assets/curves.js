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
    // An empty series (a zoom holding no point of a run) is an empty array, not "absent".
    if (b64 === undefined || b64 === null) return null;
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
    // Same arithmetic as TensorBoard's, with the powers reused: weight ** k is computed
    // once per distinct bucket size, and weight ** accumulated no more once it is below
    // what 1 - x can tell from 1.
    let last = 0, accumulated = 0, lastK = NaN, decay = 1, settled = weight === 1;
    for (let i = 0; i < n; i++) {
      const value = values[i];
      if (!Number.isFinite(value)) continue;
      const k = counts ? counts[i] : 1;
      if (!(k > 0)) continue;
      if (k !== lastK) { decay = Math.pow(weight, k); lastK = k; }
      last = last * decay + (1 - decay) * value;
      accumulated += k;
      if (settled) { out[i] = last; continue; }
      const rest = Math.pow(weight, accumulated);
      if (rest < 1e-17) settled = true;
      out[i] = last / (1 - rest);
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


  /* Many runs: Plotly's cost grows with the points it draws as SVG (seconds per card for
   * 200 runs), so above CANVAS_ABOVE lines the card's lines are painted on a canvas laid
   * over the plot area (Plotly's own axes map the values, see drawLines) and Plotly keeps
   * the axes, zoom and hover: one invisible trace per colour holding a few points per run
   * names the run under the cursor, and a bounding trace makes autorange see every bucket's
   * min and max. Smoothing then never touches Plotly at all. */
  const CANVAS_ABOVE = 24;
  const HOVER_POINTS = 80;

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

  function sampled(values, most) {
    const step = Math.max(1, Math.ceil(values.length / most));
    if (step === 1) return values;
    const out = [];
    for (let i = 0; i < values.length; i += step) out.push(values[i]);
    if ((values.length - 1) % step) out.push(values[values.length - 1]);
    return Float64Array.from(out);
  }

  function byColor(drawn) {  // runs sharing a colour look the same: one trace or path each
    const groups = new Map();
    for (const d of drawn) {
      if (!groups.has(d.series.color)) groups.set(d.series.color, []);
      groups.get(d.series.color).push(d);
    }
    return groups;
  }

  function hoverTraces(drawn) {
    const traces = [];
    for (const [color, ds] of byColor(drawn)) {
      const xs = ds.map((d) => sampled(d.x, HOVER_POINTS));
      const names = ds.flatMap((d, i) => Array(xs[i].length + 1).fill(escapeHtml(d.series.name)));
      traces.push({ type: "scatter", mode: "lines", name: color, opacity: 0,
                    x: joinWithGaps(xs), y: joinWithGaps(ds.map((d) => sampled(d.a.v, HOVER_POINTS))),
                    line: { color: color, width: 1 }, text: names,
                    hovertemplate: "<b>%{text}</b><br>%{x}<br>%{y:.5g}<extra></extra>" });
    }
    return traces;
  }

  function boundsTrace(drawn, logy) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const seeY = (v) => {
      if (Number.isFinite(v) && (!logy || v > 0)) { if (v < y0) y0 = v; if (v > y1) y1 = v; }
    };
    for (const d of drawn) {
      for (let i = 0; i < d.x.length; i++) {
        const x = d.x[i];
        if (Number.isFinite(x)) { if (x < x0) x0 = x; if (x > x1) x1 = x; }
      }
      for (const ys of [d.rawY, d.a.lo, d.a.hi]) if (ys) for (let i = 0; i < ys.length; i++) seeY(ys[i]);
    }
    if (!(x1 >= x0 && y1 >= y0)) return [];
    return [{ type: "scatter", mode: "markers", x: [x0, x1], y: [y0, y1], hoverinfo: "skip",
              marker: { size: 1, opacity: 0 }, name: "bounds" }];
  }

  /* Steps are whole numbers: a short span gets one tick per step, never 0.2, 0.4 ... */
  function integerTicks(axis, drawn) {
    let lo = Infinity, hi = -Infinity;
    for (const d of drawn) {
      const s = d.a.s;
      for (let i = 0; i < s.length; i++) {
        if (!Number.isInteger(s[i])) return;
        if (s[i] < lo) lo = s[i];
        if (s[i] > hi) hi = s[i];
      }
    }
    if (!(hi >= lo)) return;
    axis.tickformat = "d";
    if (hi - lo <= 10) Object.assign(axis, { tickmode: "linear", tick0: 0, dtick: 1 });
  }

  function xValues(a, series, xmode, unit, tzShiftMs) {
    if (xmode === "relative") return Float64Array.from(a.w, (w) => w / unit.div);
    if (xmode === "wall") return Float64Array.from(a.w, (w) => (series.wall0 + w) * 1000 - tzShiftMs);
    return a.s;
  }

  /* What a line cannot show (dashboards/series.py edge_marks): each NaN or +-inf point as a
   * marker at the plot's edge (top: +inf, bottom: -inf and NaN; hover says what and at which
   * step), and, with "show superseded", the points a restarted run logged again, faint. */
  function edgeMarks(drawn, xmode, unit, tzShiftMs, showSuperseded) {
    const traces = [];
    const xOf = (series, m) => xValues({ s: m.s, w: m.w }, series, xmode, unit, tzShiftMs);
    const what = ["NaN", "+inf", "-inf"], symbol = ["x-thin-open", "triangle-up", "triangle-down"];
    for (const d of drawn) {
      const series = d.series, marks = series.marks;
      if (!marks) continue;
      const name = escapeHtml(series.name);
      if (marks.nf) {
        const nf = marks.nf, more = nf.n > nf.s.length ? ` (${nf.n} in all, some not marked)` : "";
        traces.push({
          type: "scatter", mode: "markers", x: Array.from(xOf(series, nf)), yaxis: "y2",
          y: nf.k.map((k) => (k === 1 ? 0.985 : 0.015)), name: series.name + " non-finite",
          marker: { color: series.color, size: 8, symbol: nf.k.map((k) => symbol[k]),
                    line: { color: series.color, width: 1.5 } },
          text: nf.k.map((k, i) => `${what[k]} at step ${nf.s[i]}`),
          hovertemplate: `<b>${name}</b><br>%{text}${more}<extra></extra>` });
      }
      if (marks.sup && showSuperseded) {
        traces.push({
          type: "scatter", mode: "lines+markers", x: Array.from(xOf(series, marks.sup)),
          y: marks.sup.v, name: series.name + " superseded", opacity: 0.3,
          line: { color: series.color, width: 1, dash: "dot" },
          marker: { color: series.color, size: 4 },
          hovertemplate: `<b>${name}</b> superseded (logged again after a restart)` +
                         "<br>%{x}<br>%{y:.5g}<extra></extra>" });
      }
    }
    return traces;
  }

  function figure(data, smoothing, xmode, options) {
    options = options || [];
    const logy = options.indexOf("logy") >= 0;
    const outliers = options.indexOf("outliers") >= 0;
    const tzShiftMs = new Date().getTimezoneOffset() * 60000;
    const layout = {
      margin: { l: 52, r: 12, t: 8, b: 38 }, showlegend: false, hovermode: "closest",
      // Below the plot, at most ~3 rows (then it scrolls), so many runs keep the plot large.
      legend: { orientation: "h", x: 0, xanchor: "left", y: -0.16, yanchor: "top",
                font: { size: 10 }, itemwidth: 20, tracegroupgap: 0, maxheight: 0.24,
                bgcolor: "rgba(0,0,0,0)" },
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
    const smooth = smoothing > 0, onCanvas = all.length > CANVAS_ABOVE;
    const drawn = [], yForRange = [];
    for (const [series, a] of all) {
      const x = xValues(a, series, xmode, unit, tzShiftMs);
      let rawX = x, rawY = a.v;
      if (series.kind !== "group" && a.lo) [rawX, rawY] = envelope(x, a.lo, a.hi, a.v);
      const base = a.m && a.c ? a.m : a.v, counts = a.m && a.c ? a.c : null;
      drawn.push({ series, a, x, rawX, rawY, base, counts,
                   sy: smooth && !onCanvas ? ema(base, smoothing, counts) : null });
      for (let i = 0; i < a.v.length; i++) yForRange.push(a.v[i]);
    }
    const traces = onCanvas ? hoverTraces(drawn).concat(boundsTrace(drawn, logy)) : [];
    const labels = data.labels || {};
    for (const d of drawn) d.label = labels[d.series.name] || d.series.name;
    if (!onCanvas) {
      // The hover table (below) names every run at the cursor; Plotly's own hover is off and
      // the legend names each line (click to hide one, double-click to isolate it).
      layout.hovermode = false;
      layout.showlegend = true;
      for (const d of drawn) {
        const { series, a, x } = d, color = series.color, name = series.name;
        const hover = `<b>${escapeHtml(d.label)}</b><br>%{x}<br>`;
        const dots = a.v.length === 1 ? "lines+markers" : "lines";  // one point: still seen
        if (series.kind === "group" && a.lo) {
          traces.push({ type: type, x: x, y: a.lo, mode: "lines", line: { width: 0 },
                        hoverinfo: "skip", name: name, legendgroup: name, showlegend: false });
          traces.push({ type: type, x: x, y: a.hi, mode: "lines", line: { width: 0 },
                        fill: "tonexty", fillcolor: rgba(color, 0.18), hoverinfo: "skip",
                        name: name, legendgroup: name, showlegend: false });
        }
        traces.push({
          type: type, x: d.rawX, y: d.rawY, mode: smooth ? "lines" : dots,
          name: smooth ? name : d.label, legendgroup: name, showlegend: !smooth,
          line: { color: color, width: smooth ? 1 : 1.5 }, opacity: smooth ? 0.28 : 1,
          marker: { color: color, size: 6 },
          hoverinfo: smooth ? "skip" : undefined,
          hovertemplate: smooth ? undefined : hover + "%{y:.5g}<extra></extra>",
        });
        if (smooth) {
          traces.push({
            type: type, x: x, y: d.sy, mode: dots, name: d.label, legendgroup: name,
            showlegend: true, marker: { color: color, size: 6 },
            line: { color: color, width: 1.8 }, customdata: a.v,
            hovertemplate: hover + "smoothed %{y:.5g}<br>value %{customdata:.5g}<extra></extra>",
          });
        }
      }
    }
    const marks = edgeMarks(drawn, xmode, unit, tzShiftMs, options.indexOf("superseded") >= 0);
    if (marks.length) {
      for (const t of marks) traces.push(t);
      layout.yaxis2 = { overlaying: "y", range: [0, 1], visible: false, fixedrange: true };
    }
    if (xmode === "wall") layout.xaxis.type = "date";
    if (xmode === "step") integerTicks(layout.xaxis, drawn);
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
    return { data: traces, layout: layout, view: { unit: unit.div, tz: tzShiftMs }, drawn: drawn,
             canvas: onCanvas };
  }

  /* ---- lines on a canvas (cards with many runs) -------------------------------------
   * The canvas sits between Plotly's main SVG (grid, axes) and its hover layer, over the
   * plot area. The raw lines are painted once per axis state into an offscreen layer; a new
   * smoothing weight only repaints the smoothed lines over it. */
  const canvasCards = new Map();  // tag -> { drawn, weight, data, key, raw, px }

  function tagOf(gd) {
    const card = gd.closest(".curve-card");
    return card ? card.dataset.tag : null;
  }

  function placeOverPlot(canvas, xa, ya) {
    Object.assign(canvas.style, { left: xa._offset + "px", top: ya._offset + "px",
                                  width: xa._length + "px", height: ya._length + "px" });
  }

  function sizeCanvas(canvas, xa, ya) {
    const ratio = window.devicePixelRatio || 1, w = xa._length, h = ya._length;
    if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
    if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return ctx;
  }

  function linesCanvas(gd, xa, ya) {
    let canvas = gd.__lines;
    if (!canvas || !canvas.isConnected) {
      const main = gd.querySelector(".svg-container > svg.main-svg");
      if (!main) return null;
      canvas = gd.__lines = document.createElement("canvas");
      canvas.className = "curve-lines";
      main.parentNode.insertBefore(canvas, main.nextSibling);
    }
    placeOverPlot(canvas, xa, ya);
    return canvas;
  }

  /* value -> pixel of a Plotly axis, without c2p's per-call checks and rounding; Plotly's
   * own c2p where the axis is of a kind this does not know. */
  function axisMap(ax) {
    const m = ax._m, b = ax._b;
    if (typeof m !== "number" || typeof b !== "number") return (v) => ax.c2p(v);
    if (ax.type === "log") return (v) => (v > 0 ? b + m * Math.log10(v) : NaN);
    if (ax.type === "linear" || ax.type === "date") return (v) => b + m * v;
    return (v) => ax.c2p(v);
  }

  function pixels(values, axis) {
    const out = new Float64Array(values.length), map = axisMap(axis);
    for (let i = 0; i < values.length; i++) out[i] = map(values[i]);
    return out;
  }

  /* One path per colour: many runs, few strokes. `ys` gives a series' values. */
  function strokeByColor(ctx, drawn, pxOf, ys, ya, alpha, width) {
    ctx.globalAlpha = alpha; ctx.lineWidth = width; ctx.lineJoin = "round";
    const yOf = axisMap(ya);
    for (const [color, ds] of byColor(drawn)) {
      ctx.beginPath();
      ctx.strokeStyle = color; ctx.fillStyle = color;
      const dots = [];
      for (const d of ds) {
        const px = pxOf(d), vs = ys(d);
        let pen = false, drawnPoints = 0, lastX = 0, lastY = 0;
        for (let i = 0; i < px.length; i++) {
          const x = px[i], y = yOf(vs[i]);
          if (!Number.isFinite(x) || !Number.isFinite(y)) { pen = false; continue; }
          if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
          pen = true; drawnPoints++; lastX = x; lastY = y;
        }
        if (drawnPoints === 1) dots.push([lastX, lastY]);
      }
      ctx.stroke();
      for (const [x, y] of dots) {  // a series of one point is a dot, not nothing
        ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
  }

  function fillBands(ctx, drawn, pxOf, ya) {
    const yOf = axisMap(ya);
    for (const d of drawn) {
      if (d.series.kind !== "group" || !d.a.lo) continue;
      const px = pxOf(d), n = px.length;
      ctx.beginPath();
      for (let i = 0; i < n; i++) ctx.lineTo(px[i], yOf(d.a.lo[i]));
      for (let i = n - 1; i >= 0; i--) ctx.lineTo(px[i], yOf(d.a.hi[i]));
      ctx.closePath();
      ctx.fillStyle = rgba(d.series.color, 0.18);
      ctx.fill();
    }
  }

  function drawLines(gd, st) {
    const fl = gd._fullLayout;
    if (!fl || !fl.xaxis || !fl.yaxis || !fl.xaxis.c2p || !(fl.xaxis._length > 0)) return false;
    const xa = fl.xaxis, ya = fl.yaxis, canvas = linesCanvas(gd, xa, ya);
    if (!canvas) return false;
    const smooth = st.weight > 0;
    const key = [xa._length, ya._length, window.devicePixelRatio, xa.range, ya.range, xa.type,
                 ya.type, smooth].join("|");
    if (st.key !== key) {  // the raw layer and pixel columns belong to one axis state
      st.key = key;
      st.px = new Map();
      st.raw = document.createElement("canvas");
      const rctx = sizeCanvas(st.raw, xa, ya);
      const rawPx = (d) => pixels(d.rawX, xa);
      fillBands(rctx, st.drawn, (d) => st.pxOf(d, xa), ya);
      strokeByColor(rctx, st.drawn, rawPx, (d) => d.rawY, ya, smooth ? 0.25 : 0.9,
                    smooth ? 1 : 1.2);
    }
    const ctx = sizeCanvas(canvas, xa, ya);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(st.raw, 0, 0);
    ctx.setTransform(window.devicePixelRatio || 1, 0, 0, window.devicePixelRatio || 1, 0, 0);
    if (smooth) {
      strokeByColor(ctx, st.drawn, (d) => st.pxOf(d, xa), (d) => ema(d.base, st.weight, d.counts),
                    ya, 1, 1.5);
    }
    return true;
  }

  function canvasState(drawn, weight, data) {
    const st = { drawn: drawn, weight: weight, data: data, key: null, raw: null, px: new Map() };
    st.pxOf = (d, xa) => {
      let px = st.px.get(d);
      if (!px) { px = pixels(d.x, xa); st.px.set(d, px); }
      return px;
    };
    return st;
  }

  function redrawCard(gd) {
    const tag = tagOf(gd), st = tag === null ? null : canvasCards.get(tag);
    if (st) drawLines(gd, st);
    else if (gd.__lines) { gd.__lines.remove(); gd.__lines = null; }
  }

  function hookGraph(gd) {
    if (!gd || gd.__linesHooked || !gd.on) return;
    gd.__linesHooked = true;
    gd.on("plotly_afterplot", () => redrawCard(gd));
    gd.on("plotly_relayouting", () => { redrawCard(gd); hideHover(gd); });  // follow a pan
    gd.addEventListener("mousemove", (e) => queueHover(gd, e));
    gd.addEventListener("mouseleave", () => hideHover(gd));
  }

  /* ---- the hover table ---------------------------------------------------------------
   * Like TensorBoard's: at the cursor's x, every visible run's point nearest to it (its
   * smoothed value, value and step), sorted by the value shown, largest first. Plotly's own
   * hover only names traces near the cursor, and the lines of a canvas card are no traces.
   * A vertical guide marks the cursor's x; lines hidden from the legend are left out. */
  const hoverByTag = new Map();  // tag -> { drawn, weight, smoothed: Map }
  const HOVER_ROWS = 40;
  let hoverBox = null, hoverFrame = 0, hoverEvent = null;

  function nearestIndex(xs, x) {  // xs ascending (steps and wall times are)
    let lo = 0, hi = xs.length - 1;
    if (hi < 0) return -1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < x) lo = mid; else hi = mid;
    }
    return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
  }

  function formatValue(v) {
    if (v === undefined || v === null) return "";
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e6 || a < 1e-4) ? v.toExponential(3) : String(+v.toPrecision(5));
  }

  function smoothedOf(rec, d) {
    if (!(rec.weight > 0)) return null;
    if (d.sy) return d.sy;
    let sy = rec.smoothed.get(d);
    if (!sy) { sy = ema(d.base, rec.weight, d.counts); rec.smoothed.set(d, sy); }
    return sy;
  }

  /* Rows of the hover table at x (an x-axis value) for one card; pure apart from caching. */
  function hoverRows(rec, x, hidden) {
    const rows = [];
    for (const d of rec.drawn) {
      if (hidden.has(d.series.name)) continue;
      const i = nearestIndex(d.x, x);
      if (i < 0) continue;
      const sy = smoothedOf(rec, d);
      rows.push({ run: d.series.name, label: d.label || d.series.name, color: d.series.color,
                  step: d.a.s[i], value: d.a.v[i], smoothed: sy ? sy[i] : null });
    }
    const key = (r) => (Number.isFinite(r.smoothed) ? r.smoothed : r.value);
    rows.sort((p, q) => {
      const a = key(p), b = key(q);
      if (!Number.isFinite(a)) return Number.isFinite(b) ? 1 : 0;
      if (!Number.isFinite(b)) return -1;
      return b - a;
    });
    return rows;
  }

  function hiddenRuns(gd) {
    const hidden = new Set();
    for (const t of gd._fullData || []) {
      if (t.visible === "legendonly" && t.legendgroup) hidden.add(t.legendgroup);
    }
    return hidden;
  }

  function queueHover(gd, e) {
    hoverEvent = [gd, e.clientX, e.clientY];
    if (!hoverFrame) hoverFrame = requestAnimationFrame(showHover);
  }

  function hideHover(gd) {
    if (hoverBox) hoverBox.style.display = "none";
    if (gd && gd.__guide) gd.__guide.style.display = "none";
  }

  function showHover() {
    hoverFrame = 0;
    const [gd, cx, cy] = hoverEvent;
    const tag = tagOf(gd), rec = tag === null ? null : hoverByTag.get(tag);
    const fl = gd._fullLayout;
    if (!rec || !fl || !fl.xaxis || !fl.xaxis.p2c) {
      hideHover(gd); return;
    }
    const xa = fl.xaxis, ya = fl.yaxis, box = gd.getBoundingClientRect();
    const px = cx - box.left - xa._offset, py = cy - box.top - ya._offset;
    if (px < 0 || px > xa._length || py < 0 || py > ya._length) { hideHover(gd); return; }
    const rows = hoverRows(rec, xa.p2c(px), hiddenRuns(gd));
    if (!rows.length) { hideHover(gd); return; }
    showGuide(gd, xa._offset + px, ya);
    renderTable(rows, rec.weight > 0, cx, cy);
  }

  function showGuide(gd, left, ya) {
    let guide = gd.__guide;
    if (!guide || !guide.isConnected) {
      guide = gd.__guide = document.createElement("div");
      guide.className = "curve-guide";
      if (getComputedStyle(gd).position === "static") gd.style.position = "relative";
      gd.appendChild(guide);
    }
    Object.assign(guide.style, { display: "block", left: left + "px", top: ya._offset + "px",
                                 height: ya._length + "px" });
  }

  function renderTable(rows, smoothed, cx, cy) {
    if (!hoverBox || !hoverBox.isConnected) {
      hoverBox = document.createElement("div");
      hoverBox.className = "curve-hover";
      document.body.appendChild(hoverBox);
    }
    const head = `<tr><th></th><th>Run</th>${smoothed ? "<th>Smoothed</th>" : ""}` +
                 "<th>Value</th><th>Step</th></tr>";
    const body = rows.slice(0, HOVER_ROWS).map((r) =>
      `<tr title="${escapeHtml(r.run).replace(/"/g, "&quot;")}">` +
      `<td><span class="swatch" style="background:${r.color}"></span></td>` +
      `<td class="run">${escapeHtml(r.label)}</td>` +
      (smoothed ? `<td class="num">${formatValue(r.smoothed)}</td>` : "") +
      `<td class="num">${formatValue(r.value)}</td><td class="num">${r.step}</td></tr>`);
    const more = rows.length > HOVER_ROWS
      ? `<tr><td></td><td class="more" colspan="4">… ${rows.length - HOVER_ROWS} more runs</td></tr>`
      : "";
    hoverBox.innerHTML = `<table><thead>${head}</thead><tbody>${body.join("")}${more}</tbody></table>`;
    hoverBox.style.display = "block";
    const w = hoverBox.offsetWidth, h = hoverBox.offsetHeight;
    const left = cx + 16 + w > window.innerWidth ? Math.max(4, cx - 16 - w) : cx + 16;
    const top = Math.max(4, Math.min(cy + 16, window.innerHeight - h - 4));
    Object.assign(hoverBox.style, { left: left + "px", top: top + "px" });
  }

  function hookWhenPlotted(tag, tries) {  // the graph of a new card may not be plotted yet
    const gd = graphOf(tag);
    if (gd && gd.on) { hookGraph(gd); redrawCard(gd); return; }
    if (tries > 0) requestAnimationFrame(() => hookWhenPlotted(tag, tries - 1));
  }

  /* ---- the smoothing preview while the slider is dragged -----------------------------
   * Cards on a canvas just repaint their smoothed lines. The others (few runs, drawn by
   * Plotly, ~100 ms a redraw on a slow machine) draw their lines on a canvas over the plot
   * while dragging; on release Plotly redraws them. Moves are coalesced per frame. */
  const drawnByTag = new Map();
  let previewTimer = null, previewWeight = null, previewFrame = 0;

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
    const xa = fl.xaxis, ya = fl.yaxis;
    let canvas = gd.__preview;
    if (!canvas) {
      canvas = gd.__preview = document.createElement("canvas");
      canvas.className = "smoothing-preview";
      if (getComputedStyle(gd).position === "static") gd.style.position = "relative";
      gd.appendChild(canvas);
    }
    placeOverPlot(canvas, xa, ya);
    const ctx = sizeCanvas(canvas, xa, ya);
    const pxOf = (d) => pixels(d.x, xa), rawPx = (d) => pixels(d.rawX, xa);
    for (const d of drawn) {
      if (d.series.kind === "group" && d.a.lo) {
        strokeByColor(ctx, [d], pxOf, () => d.a.lo, ya, 0.35, 0.8);
        strokeByColor(ctx, [d], pxOf, () => d.a.hi, ya, 0.35, 0.8);
      }
    }
    strokeByColor(ctx, drawn, rawPx, (d) => d.rawY, ya, weight > 0 ? 0.28 : 1, weight > 0 ? 1 : 1.5);
    if (weight > 0) strokeByColor(ctx, drawn, pxOf, (d) => ema(d.base, weight, d.counts), ya, 1, 1.8);
    gd.classList.add("previewing");
  }

  function previewNow() {
    previewFrame = 0;
    const weight = previewWeight, t0 = performance.now(), shown = [];
    for (const [tag, st] of canvasCards) {
      const gd = graphOf(tag);
      if (gd && inView(gd)) { st.weight = weight; drawLines(gd, st); }
    }
    for (const [tag, drawn] of drawnByTag) {
      const gd = graphOf(tag);
      if (gd && inView(gd)) { previewCard(gd, drawn, weight); shown.push(gd); }
    }
    window.inspectorPreviewMs = performance.now() - t0;
    clearTimeout(previewTimer);
    // Cards whose figure does not change on release (same value) drop the canvas by timeout.
    previewTimer = setTimeout(() => shown.forEach(endPreview), 1500);
  }

  function preview(weight) {
    if (weight === null || weight === undefined) return window.dash_clientside.no_update;
    previewWeight = weight;
    if (!previewFrame) previewFrame = requestAnimationFrame(previewNow);
    return window.dash_clientside.no_update;
  }

  function figureCallback(data, smoothing, xmode, options) {
    const ctx = window.dash_clientside.callback_context;
    const tag = ctx && ctx.outputs_list ? ctx.outputs_list[0].id.tag : null;
    const triggered = ctx && ctx.triggered ? ctx.triggered.map((t) => t.prop_id) : [];
    const st = tag === null ? null : canvasCards.get(tag);
    const gd = tag === null ? null : graphOf(tag);
    if (st && st.data === data && triggered.length === 1 &&
        triggered[0] === "curves-smoothing.value" && gd && gd.__lines) {
      // A canvas card's figure does not depend on the smoothing: repaint the lines only.
      st.weight = smoothing;
      const rec = hoverByTag.get(tag);
      if (rec) { rec.weight = smoothing; rec.smoothed = new Map(); }
      drawLines(gd, st);
      const no = window.dash_clientside.no_update;
      return [no, no];
    }
    const fig = figure(data, smoothing, xmode, options);
    const view = fig.view || { unit: 1, tz: 0 };
    view.zoomed = !!(data && data.range);
    if (tag !== null) {
      if (fig.drawn) hoverByTag.set(tag, { drawn: fig.drawn, weight: smoothing, smoothed: new Map() });
      else hoverByTag.delete(tag);
      if (fig.canvas) {
        canvasCards.set(tag, canvasState(fig.drawn, smoothing, data));
        drawnByTag.delete(tag);
      } else {
        canvasCards.delete(tag);
        if (fig.drawn) drawnByTag.set(tag, fig.drawn); else drawnByTag.delete(tag);
      }
      if (gd && gd.on) hookGraph(gd); else hookWhenPlotted(tag, 120);
      if (gd && gd.__preview && gd.once) gd.once("plotly_afterplot", () => endPreview(gd));
    }
    delete fig.view;
    delete fig.drawn;
    delete fig.canvas;
    return [fig, view];
  }

  window.inspectorCurves = { ema: ema, figure: figure, decode: decode, preview: preview,
                             hoverRows: hoverRows, hoverByTag: hoverByTag };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    curves: {
      figure: figureCallback,
      preview: preview,
      smoothingText: function (value, dragValue) {
        const ctx = window.dash_clientside.callback_context;
        const dragged = ctx && ctx.triggered && ctx.triggered.some(
          (t) => t.prop_id === "curves-smoothing.drag_value");
        const w = dragged && dragValue !== null && dragValue !== undefined ? dragValue : value;
        return w === undefined || w === null ? "" : Number(w).toFixed(2);
      },
      aggControls: function (mode) {  // each grouping control shows only where it applies
        const show = (on) => (on ? {} : { display: "none" });
        return [show(mode === "regex"), show(mode === "hparam"), show(mode && mode !== "none")];
      },
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
