/* Graphs page minimap and timing marks.
 * Why JavaScript: dash-cytoscape bundles no navigator (minimap) extension and Dash cannot
 * follow the viewport as it pans, so this draws the laid-out graph small (cy.png) with the
 * visible part framed, and pans the graph where the minimap is clicked. It also stamps
 * window.__graphLayouts = {count, last} at every finished layout (tests and benchmarks time
 * an expand by it). The cytoscape instance is reached through the container's _cyreg, where
 * cytoscape itself registers it. Cytoscape caches where its container sits on the page and
 * measures again only on a scroll or resize; the toolbar above settles after the graph
 * mounts, so every press first tells it to measure again (a scroll event on an ancestor,
 * which its own listeners watch), or a click would land on the node below. */
(function () {
  'use strict';
  window.__graphLayouts = {count: 0, last: 0, nodes: 0};

  function bind() {
    const box = document.getElementById('graph-minimap');
    const el = document.getElementById('graph-cy');
    const cy = el && el._cyreg && el._cyreg.cy;
    if (!box || !cy || box._cy === cy) return;
    box._cy = cy;
    observer.disconnect();
    const host = el.parentNode;
    for (const type of ['mousedown', 'touchstart', 'wheel']) {
      host.addEventListener(type, function () { host.dispatchEvent(new Event('scroll')); },
                            {capture: true, passive: true});
    }
    const img = document.createElement('img');
    const frame = document.createElement('div');
    frame.className = 'graph-minimap-view';
    box.replaceChildren(img, frame);
    let bb = null, scale = 1, ox = 0, oy = 0, pending = null;

    function place() {
      if (!bb) return;
      const e = cy.extent();
      const x1 = Math.max(e.x1, bb.x1), y1 = Math.max(e.y1, bb.y1);
      const x2 = Math.min(e.x2, bb.x2), y2 = Math.min(e.y2, bb.y2);
      frame.style.display = x2 > x1 && y2 > y1 ? 'block' : 'none';
      frame.style.left = ox + (x1 - bb.x1) * scale + 'px';
      frame.style.top = oy + (y1 - bb.y1) * scale + 'px';
      frame.style.width = (x2 - x1) * scale + 'px';
      frame.style.height = (y2 - y1) * scale + 'px';
    }
    function draw() {
      bb = cy.elements().boundingBox();
      if (!cy.elements().length || !bb.w || !bb.h) { img.removeAttribute('src'); bb = null; return; }
      const w = box.clientWidth, h = box.clientHeight;
      scale = Math.min(w / bb.w, h / bb.h);
      ox = (w - bb.w * scale) / 2;
      oy = (h - bb.h * scale) / 2;
      img.src = cy.png({full: true, maxWidth: w, maxHeight: h, bg: '#ffffff'});
      Object.assign(img.style, {left: ox + 'px', top: oy + 'px', width: bb.w * scale + 'px'});
      place();
    }
    function laidOut() {
      requestAnimationFrame(function () {
        window.__graphLayouts = {count: window.__graphLayouts.count + 1,
                                 last: performance.now(), nodes: cy.nodes().length};
      });
      clearTimeout(pending);
      pending = setTimeout(draw, 400);  // after the graph is drawn and idle
    }
    cy.on('layoutstop', laidOut);
    if (cy.nodes().length) laidOut();  // the page came with its first view, laid out at mount
    cy.on('viewport', place);
    box.addEventListener('click', function (ev) {
      if (!bb) return;
      const r = box.getBoundingClientRect();
      const x = bb.x1 + (ev.clientX - r.left - ox) / scale;
      const y = bb.y1 + (ev.clientY - r.top - oy) / scale;
      cy.pan({x: cy.width() / 2 - x * cy.zoom(), y: cy.height() / 2 - y * cy.zoom()});
    });
  }
  // Watch the DOM for the graph only on the graphs page, until it is bound: a document-wide
  // observer on the other pages slowed their chart drawing (every Plotly node recorded).
  const observer = new MutationObserver(bind);
  let path = null;
  function watch() {
    if (location.pathname === path) return;
    path = location.pathname;
    observer.disconnect();
    if (path.startsWith('/graphs')) {
      observer.observe(document.documentElement, {childList: true, subtree: true});
      bind();
    }
  }
  watch();
  setInterval(watch, 250);
})();
