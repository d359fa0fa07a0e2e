/* Kernel grids and feature maps drawn on a canvas, for the kernels and activations pages.
 *
 * Why not Dash alone: a 3x3x64x128 layer is 8,192 small kernels. As Plotly heatmaps or one
 * <img> per kernel that is thousands of DOM nodes or a server round trip per slider move;
 * here the raw tensor arrives once per step as int8 with one scale per tile
 * (dashboards/kernels_data.py), frames are cached in the browser, and a step, a colour-scale
 * toggle or the difference-from-step-0 mode is one pass of pixel writes into an ImageData.
 */
(function () {
  'use strict';
  const NEG = [0.13, 0.40, 0.67], POS = [0.70, 0.09, 0.17];  // as inspector/grids.py
  const GAP = [200, 204, 210, 255];  // between the input channels of one filter
  const LUT = new Uint8ClampedArray(256 * 3);  // t in [-1, 1] -> diverging RGB, white at 0
  const rgba = (r, g, b) => ((255 << 24) | (Math.round(b) << 16) | (Math.round(g) << 8) | Math.round(r)) >>> 0;
  for (let i = 0; i < 256; i++) {
    const t = i / 127.5 - 1, end = t < 0 ? NEG : POS, a = Math.abs(t);
    for (let c = 0; c < 3; c++) LUT[i * 3 + c] = Math.round((1 + a * (end[c] - 1)) * 255);
  }
  const LUT32 = new Uint32Array(256);  // the same colours as 32-bit little-endian RGBA pixels
  for (let i = 0; i < 256; i++) LUT32[i] = rgba(LUT[i * 3], LUT[i * 3 + 1], LUT[i * 3 + 2]);

  function decode(b64) {
    const bin = atob(b64), out = new Int8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = (bin.charCodeAt(i) << 24) >> 24;
    return out;
  }

  /* frame {q: Int8Array, s: [scale per tile]} -> Float32Array of T*S*H*W values */
  function dequantize(frame, per) {
    const out = new Float32Array(frame.q.length);
    for (let t = 0; t < frame.s.length; t++) {
      const k = frame.s[t] / 127, base = t * per;
      for (let i = 0; i < per; i++) out[base + i] = frame.q[base + i] * k;
    }
    return out;
  }

  /* Values reduced over each tile's S sub-images: mean, signed largest magnitude, L2. */
  function reduce(values, dims, how) {
    const [T, S, H, W] = dims, px = H * W, out = new Float32Array(T * px);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < px; i++) {
        let acc = 0, best = 0;
        for (let s = 0; s < S; s++) {
          const v = values[(t * S + s) * px + i];
          if (how === 'mean') acc += v / S;
          else if (how === 'l2') acc += v * v;
          else if (Math.abs(v) > Math.abs(best)) best = v;
        }
        out[t * px + i] = how === 'l2' ? Math.sqrt(acc) : how === 'mean' ? acc : best;
      }
    }
    return out;
  }

  function tileScales(values, T, per, shared) {
    const s = new Float32Array(T);
    let all = 0;
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (let i = t * per; i < (t + 1) * per; i++) {
        const a = Math.abs(values[i]);
        if (a > m) m = a;
      }
      s[t] = m;
      if (m > all) all = m;
    }
    if (shared) s.fill(all);
    return {perTile: s, max: all};
  }

  /* The integer zoom and grid of tiles that fit maxW, keeping a tile under ~160 px. */
  function geometry(T, subCols, subRows, H, W, maxW, maxH, maxTile) {
    const tileGap = 6;
    let g = null;
    for (let z = 16; z >= 1; z--) {
      const tw = subCols * (W * z + 1) - 1, th = subRows * (H * z + 1) - 1;
      if (z > 1 && Math.max(tw, th) > Math.max(maxTile || 160, Math.min(W, H) * 2)) continue;
      const cols = Math.max(1, Math.min(T, Math.floor((maxW + tileGap) / (tw + tileGap))));
      const rows = Math.ceil(T / cols);
      g = {z, tw, th, cols, rows, tileGap, subCols, subRows, H, W, pad: 1,
           width: cols * (tw + tileGap) - tileGap + 2, height: rows * (th + tileGap) - tileGap + 2};
      if (g.height <= maxH || z === 1) break;
    }
    return g;
  }

  /* Draw tiles [T, S, H, W] (values: Float32Array) on canvas. opts: view (channels, rgb,
   * or already reduced: S = 1), scale ('layer' | 'filter'), indices (which tiles, default
   * all), valid (values per sub-image that are real; the rest is padding), flags ([T] of
   * '' | 'dead' | 'unchanging'), maxW. Returns {max, geometry}. */
  function drawTiles(canvas, values, dims, opts) {
    const [T0, S, H, W] = dims, per = S * H * W;
    const indices = opts.indices || Array.from({length: T0}, (_, i) => i);
    const T = indices.length, rgb = opts.view === 'rgb' && S === 3;
    const subCols = rgb ? 1 : Math.ceil(Math.sqrt(S)), subRows = rgb ? 1 : Math.ceil(S / subCols);
    const maxW = opts.maxW || Math.max(200, (canvas.parentElement || {}).clientWidth || 900);
    const g = geometry(T, subCols, subRows, H, W, maxW, opts.maxH || 1400, opts.maxTile);
    const sc = tileScales(values, T0, per, opts.scale !== 'filter');
    canvas.width = Math.max(1, g.width);
    canvas.height = Math.max(1, g.height);
    const ctx = canvas.getContext('2d'), img = ctx.createImageData(canvas.width, canvas.height);
    // One 32-bit write per pixel (little-endian RGBA), rows of a magnified value copied whole.
    const px = new Uint32Array(img.data.buffer), cw = canvas.width, z = g.z, valid = opts.valid || H * W;
    const gap = rgba(GAP[0], GAP[1], GAP[2]);
    for (let n = 0; n < T; n++) {
      const t = indices[n], k = sc.perTile[t] > 0 ? 1 / sc.perTile[t] : 0;
      const ox = g.pad + (n % g.cols) * (g.tw + g.tileGap);
      const oy = g.pad + Math.floor(n / g.cols) * (g.th + g.tileGap);
      for (let y = 0; y < g.th; y++) px.fill(gap, (oy + y) * cw + ox, (oy + y) * cw + ox + g.tw);
      const subs = rgb ? 1 : S;
      for (let s = 0; s < subs; s++) {
        const sx = ox + (s % subCols) * (W * z + 1), sy = oy + Math.floor(s / subCols) * (H * z + 1);
        for (let i = 0; i < H; i++) {
          const row = (sy + i * z) * cw + sx;
          for (let j = 0; j < W; j++) {
            let c;
            if (i * W + j >= valid) c = gap;
            else if (rgb) {
              const base = t * per + i * W + j;
              const u = (v) => 127.5 + 127.5 * Math.max(-1, Math.min(1, v * k));
              c = rgba(u(values[base]), u(values[base + H * W]), u(values[base + 2 * H * W]));
            } else {
              const v = values[t * per + s * H * W + i * W + j] * k;
              c = LUT32[Math.round((Math.max(-1, Math.min(1, v || 0)) + 1) * 127.5)];
            }
            px.fill(c, row + j * z, row + j * z + z);
          }
          for (let dy = 1; dy < z; dy++) px.copyWithin(row + dy * cw, row, row + W * z);
        }
      }
    }
    ctx.putImageData(img, 0, 0);
    ctx.strokeStyle = '#c3c8d0';  // a frame around each tile, in the gap: a blank map still shows
    ctx.lineWidth = 1;
    for (let n = 0; n < T; n++) {
      ctx.strokeRect(g.pad + (n % g.cols) * (g.tw + g.tileGap) - 0.5,
                     g.pad + Math.floor(n / g.cols) * (g.th + g.tileGap) - 0.5, g.tw + 1, g.th + 1);
    }
    if (opts.flags) {
      for (let n = 0; n < T; n++) {
        const f = opts.flags[indices[n]];
        if (!f) continue;
        ctx.strokeStyle = f === 'dead' ? '#111' : '#e0a100';
        ctx.lineWidth = 2;
        ctx.setLineDash(f === 'dead' ? [] : [4, 3]);
        ctx.strokeRect(g.pad + (n % g.cols) * (g.tw + g.tileGap) + 1,
                       g.pad + Math.floor(n / g.cols) * (g.th + g.tileGap) + 1, g.tw - 2, g.th - 2);
      }
    }
    g.indices = indices; g.S = rgb ? 1 : S; g.values = values; g.scales = sc; g.dims = dims;
    canvas.dataset.tiles = String(T);
    canvas.dataset.drawn = String((+canvas.dataset.drawn || 0) + 1);
    api.geometry[canvas.id] = g;
    return {max: sc.max, geometry: g};
  }

  /* Canvas pixel (centre) of value (tile n of the drawn ones, sub s, row i, column j). */
  function pixelOf(canvasId, n, s, i, j) {
    const g = api.geometry[canvasId];
    if (!g) return null;
    const ox = g.pad + (n % g.cols) * (g.tw + g.tileGap) + (s % g.subCols) * (g.W * g.z + 1);
    const oy = g.pad + Math.floor(n / g.cols) * (g.th + g.tileGap) + Math.floor(s / g.subCols) * (g.H * g.z + 1);
    return [ox + j * g.z + Math.floor(g.z / 2), oy + i * g.z + Math.floor(g.z / 2)];
  }

  function drawLegend(canvas) {
    if (!canvas) return;
    canvas.width = 160; canvas.height = 10;
    const ctx = canvas.getContext('2d'), img = ctx.createImageData(160, 10);
    for (let x = 0; x < 160; x++) {
      const li = Math.round(x / 159 * 255) * 3;
      for (let y = 0; y < 10; y++) {
        const o = (y * 160 + x) * 4;
        img.data[o] = LUT[li]; img.data[o + 1] = LUT[li + 1]; img.data[o + 2] = LUT[li + 2];
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  /* The per-filter statistics of step i, flagged filters first, as a table. */
  function statsTable(meta, i) {
    const box = document.getElementById('kern-stats');
    if (!box) return;
    const st = meta.stats, n = st.norm[i].length, order = [...Array(n).keys()];
    order.sort((a, b) => (st.flags[i][b] ? 1 : 0) - (st.flags[i][a] ? 1 : 0) || a - b);
    const num = (v) => {
      const t = Number(v).toPrecision(4);
      return t.includes('.') && !t.includes('e') ? t.replace(/0+$/, '').replace(/\.$/, '') : t;
    };
    const rows = order.slice(0, 512).map((f) => '<tr><td>' + f + '</td><td>' + num(st.norm[i][f])
      + '</td><td>' + num(st.delta_last[i][f]) + '</td><td>' + num(st.delta_first[i][f])
      + '</td><td class="flag-' + st.flags[i][f] + '">' + st.flags[i][f] + '</td></tr>');
    const flagged = st.flags[i].filter((f) => f).length;
    box.innerHTML = '<div class="muted small">' + flagged + ' flagged at this step</div>'
      + '<table class="kern-table"><thead><tr><th>' + (meta.tile_label === 'matrix' ? 'unit' : meta.tile_label)
      + '</th><th>norm</th><th>change since last step</th><th>change since step ' + meta.steps[0]
      + '</th><th>flag</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>';
  }

  function fmt(v) { return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(2); }

  const api = {geometry: {}, cache: {}, pixelOf, drawTiles, decode, dequantize, reduce,
               lastDraw: null, draws: 0};
  window.inspectorKernels = api;

  function entry(meta) {
    let c = api.cache[meta.key];
    if (!c) {
      c = {frames: new Array(meta.steps.length), got: {}};
      api.cache = {[meta.key]: c};  // one layer at a time: drop the frames of the others
    }
    const f = meta.first;  // the step shown first comes with the layer: no wait for chunks
    if (f && !c.frames[f.index]) c.frames[f.index] = {q: decode(f.q), s: f.s};
    return c;
  }

  function frameValues(meta, c, i) {
    const f = c.frames[i];
    if (!f) return null;
    if (!f.values) f.values = dequantize(f, meta.tiles[1] * meta.tiles[2] * meta.tiles[3]);
    return f.values;
  }

  const noUpdate = () => window.dash_clientside.no_update;

  window.dash_clientside = Object.assign({}, window.dash_clientside, {kernels: {
    /* Ask for the first chunk of frames not yet cached, one request at a time; returns
     * [request, fetch timer disabled]. Dash forbids a callback cycle (request -> chunk ->
     * request), so a timer drives the chain while chunks are missing; draw() caches them. */
    ingest(ticks, meta) {
      if (!meta) return [noUpdate(), true];
      const c = entry(meta);
      const now = performance.now();
      if (c.pending !== undefined && now - c.pendingAt < 15000) return [noUpdate(), false];
      for (let k = 0; k < meta.chunks; k++) {
        if (c.got[k]) continue;
        c.pending = k; c.pendingAt = now;
        return [{key: meta.key, run: meta.run, layer: meta.layer, chunk: k}, false];
      }
      return [noUpdate(), true];
    },

    /* The logdir changed: reload the layer if its kernels or visualizations grew. Through
     * set_props, not an output: a dependency chain from the live poll to the slider would
     * make Dash hold every slider step while a poll is in flight. */
    live(changes, run, layer) {
      const mine = ((changes || {}).changed || {})[run] || {};
      const grew = (mine.kernels || []).includes('kernels/' + layer)
                   || (mine.feature_vis || []).includes('feature_vis/' + layer);
      if (grew) window.dash_clientside.set_props('kern-refresh', {data: changes.version});
      return noUpdate();
    },

    /* The same for the activations page. */
    activationsLive(changes, run, layer) {
      const mine = ((changes || {}).changed || {})[run] || {};
      if ((mine.activations || []).includes('feature_maps/' + layer)) {
        window.dash_clientside.set_props('act-refresh', {data: changes.version});
      }
      return noUpdate();
    },

    /* A chunk of frames arrived: cache it, and draw the step that was waiting for it. Kept
     * apart from draw(): Dash holds a callback while any callback upstream of its inputs is in
     * flight, and the fetch timer keeps one in flight while chunks stream in. */
    absorb(chunk, meta) {
      if (!meta || !chunk || chunk.key !== meta.key) return noUpdate();
      const c = entry(meta);
      if (!c.got[chunk.chunk]) {
        chunk.frames.forEach((f, n) => { c.frames[chunk.start + n] = {q: decode(f.q), s: f.s}; });
        c.got[chunk.chunk] = true;
        c.pending = undefined;
      }
      const w = api.waiting;
      if (w && w[5] && w[5].key === meta.key) {
        const out = window.dash_clientside.kernels.draw(...w);
        if (!api.waiting) {
          ['kern-step-label', 'kern-legend-lo', 'kern-legend-hi', 'kern-legend-note'].forEach(
            (id, k) => window.dash_clientside.set_props(id, {children: out[k]}));
        }
      }
      return chunk.chunk;
    },

    /* Draw the grid at the slider's position; returns [step label, legend lo, legend hi, note]. */
    draw(drag, value, view, scale, mode, meta) {
      const canvas = document.getElementById('kern-canvas');
      drawLegend(document.getElementById('kern-legend-ramp'));
      if (!meta || !canvas) return ['', '', '', ''];
      const t0 = performance.now();
      const i = Math.max(0, Math.min(meta.steps.length - 1, (drag ?? value ?? 0)));
      const c = entry(meta);
      api.waiting = null;
      const label = 'step ' + meta.steps[i].toLocaleString('en-US') + '  (' + (i + 1) + ' of '
                    + meta.steps.length + ')';
      let values = frameValues(meta, c, i);
      const wait = () => {
        api.waiting = [drag, value, view, scale, mode, meta];
        return [label + ' · loading…', '', '', ''];
      };
      if (!values) return wait();
      if (mode === 'diff') {
        const first = frameValues(meta, c, 0);
        if (!first) return wait();
        const d = new Float32Array(values.length);
        for (let k = 0; k < d.length; k++) d[k] = values[k] - first[k];
        values = d;
      }
      let dims = meta.tiles;
      const [T, S, H, W] = dims;
      if (view !== 'channels' && view !== 'rgb' && S > 1) {
        values = reduce(values, dims, view);
        dims = [T, 1, H, W];
      }
      const out = drawTiles(canvas, values, dims, {view, scale, flags: meta.stats.flags[i]});
      canvas.dataset.step = String(meta.steps[i]);
      statsTable(meta, i);
      api.draws += 1;
      const drawn = api.lastDraw = {ms: performance.now() - t0, step: meta.steps[i], index: i,
                                    at: performance.now()};
      requestAnimationFrame(() => { drawn.painted = performance.now(); });
      const lo = scale === 'filter' ? '−max' : '−' + fmt(out.max);
      const hi = scale === 'filter' ? '+max' : '+' + fmt(out.max);
      const what = mode === 'diff' ? 'change since step ' + meta.steps[0] : 'weight';
      const zero = view === 'rgb' && meta.tiles[1] === 3
        ? 'colour: red, green, blue inputs, each 0 as mid grey' : what + ', 0 is white';
      const note = (scale === 'filter' ? 'each ' + meta.tile_label + ' scaled to its own largest |' + what + '|'
                    : 'one scale for the layer') + ' · ' + zero;
      return [label, lo, hi, note];
    },

    /* Play button and animation timer: [slider value, timer disabled, button text]. */
    play(clicks, ticks, value, meta, disabled) {
      // On a timer tick, triggered may also still list the button: a tick wins.
      const ids = (window.dash_clientside.callback_context.triggered || []).map((t) => t.prop_id);
      const pressed = !ids.some((id) => id.startsWith('kern-player'));
      const last = meta ? meta.steps.length - 1 : 0;
      if (pressed) {
        if (!disabled) return [noUpdate(), true, '▶ Play'];
        return [(value ?? last) >= last ? 0 : noUpdate(), false, '❚❚ Pause'];
      }
      if (disabled) return [noUpdate(), noUpdate(), noUpdate()];
      if ((value ?? 0) >= last) return [noUpdate(), true, '▶ Play'];
      return [(value ?? 0) + 1, false, '❚❚ Pause'];
    },

    /* Feature visualizations of the filters at the nearest logged step at or before. */
    featureVis(drag, value, meta) {
      const canvas = document.getElementById('kern-fv-canvas');
      if (!canvas || !meta || !meta.fv) return '';
      const i = Math.max(0, Math.min(meta.steps.length - 1, (drag ?? value ?? 0)));
      const step = meta.steps[i], fv = meta.fv;
      let k = 0;
      for (let n = 0; n < fv.steps.length; n++) if (fv.steps[n] <= step) k = n;
      const f = fv.frames[k];
      if (!f.values) f.values = dequantize({q: decode(f.q), s: f.s}, fv.tiles[1] * fv.tiles[2] * fv.tiles[3]);
      drawTiles(canvas, f.values, fv.tiles, {view: fv.tiles[1] === 3 ? 'rgb' : 'channels', scale: 'filter'});
      return 'input that most excites each filter, at step ' + fv.steps[k].toLocaleString('en-US');
    },

    /* Activations page: draw every probe's maps (or one filter across probes). */
    activations(data, pick) {
      const canvases = document.querySelectorAll('canvas.act-canvas');
      drawLegend(document.getElementById('kern-legend-ramp'));
      if (!data) return '';
      const [P, T, S, H, W] = data.dims;
      const per = T * S * H * W;
      if (!data.values) data.values = dequantize({q: decode(data.q), s: data.s}, S * H * W);
      canvases.forEach((canvas) => {
        const p = +canvas.dataset.probe;
        if (canvas.dataset.filter !== undefined) {
          const f = +canvas.dataset.filter;
          const vals = new Float32Array(P * S * H * W);
          for (let q = 0; q < P; q++) vals.set(data.values.subarray(q * per + f * S * H * W, q * per + (f + 1) * S * H * W), q * S * H * W);
          drawTiles(canvas, vals, [P, S, H, W], {view: 'channels', scale: 'layer', valid: data.valid, maxTile: 100});
        } else if (p < P) {
          drawTiles(canvas, data.values.subarray(p * per, (p + 1) * per), [T, S, H, W],
                    {view: 'channels', scale: 'layer', valid: data.valid, maxTile: T === 1 ? 360 : 90});
        }
      });
      return String(Date.now());
    },
  }});

  /* Hovering a kernel names it. */
  document.addEventListener('mousemove', (ev) => {
    const canvas = ev.target;
    if (!(canvas instanceof HTMLCanvasElement) || !api.geometry[canvas.id]) return;
    const g = api.geometry[canvas.id], r = canvas.getBoundingClientRect();
    const x = (ev.clientX - r.left) * canvas.width / r.width - g.pad;
    const y = (ev.clientY - r.top) * canvas.height / r.height - g.pad;
    const col = Math.floor(x / (g.tw + g.tileGap)), row = Math.floor(y / (g.th + g.tileGap));
    const n = row * g.cols + col;
    if (col >= g.cols || n >= g.indices.length) { canvas.title = ''; return; }
    const lx = x - col * (g.tw + g.tileGap), ly = y - row * (g.th + g.tileGap);
    const s = Math.floor(ly / (g.H * g.z + 1)) * g.subCols + Math.floor(lx / (g.W * g.z + 1));
    const i = Math.floor((ly % (g.H * g.z + 1)) / g.z), j = Math.floor((lx % (g.W * g.z + 1)) / g.z);
    const t = g.indices[n], per = g.S * g.H * g.W;
    const v = g.values[t * per + s * g.H * g.W + i * g.W + j];
    canvas.title = '#' + t + (g.S > 1 ? ' · channel ' + s : '') + ' · (' + i + ', ' + j + ')'
                   + (v === undefined ? '' : ' · ' + fmt(v));
  });
})();
