/* Tag cards in the browser (the other half of dashboards/components/tag_cards.py).
 *
 * Why Dash alone is not enough:
 * - A card must ask for its body when it comes near the view. Dash has no notion of "near
 *   the view"; an IntersectionObserver queues each card the first time it is within 300 px
 *   of the view, and a few cards ask at a time, top first, so the first charts are drawn
 *   while the rest are on their way (Dash would otherwise render every answer in one go).
 * - The run selection and the tag filter hide cards here, without a server round trip: a
 *   page of hundreds of cards applies an edit in one frame.
 * A card asks by setting its `visible` store (dash_clientside.set_props); its loading state
 * (`.card-loading`, shown until the card is drawn) gets the class `done` from the server's
 * answer (or the page's own drawing callback), which is how an answer is recognised.
 */
(function () {
  "use strict";

  const NEAR = "300px 0px";
  const ASK_TIMEOUT_MS = 8000, TRIES = 3;
  const criteria = new Map();  // prefix -> { re, selected: Set, key }
  const cardState = new WeakMap();  // card element -> { build, phase, asked, tries }
  const runsCache = new WeakMap();  // card element -> [run, ...]
  const waiting = new Set();  // cards near the view, not asked yet
  const asking = new Map();  // card -> ask time
  let pumpTimer = 0, sweepQueued = false;

  function noUpdate() { return window.dash_clientside.no_update; }

  function compileFilter(text) {
    // The twin of dashboards.series.compile_filter: a case-insensitive regex, or plain text
    // when it is not one.
    if (!text) return { re: null, error: "" };
    try {
      return { re: new RegExp(text, "i"), error: "" };
    } catch (err) {
      const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return { re: new RegExp(escaped, "i"), error: "not a regular expression (" + err.message + ")" };
    }
  }

  function partId(card, part) {
    return { type: card.dataset.prefix + "-" + part, tag: card.dataset.tag,
             run: card.dataset.run || "", build: card.dataset.build };
  }

  function runsOf(card) {
    let runs = runsCache.get(card);
    if (!runs) {
      runs = JSON.parse(card.dataset.runs || "[]");
      runsCache.set(card, runs);
    }
    return runs;
  }

  function stateOf(card) {
    let st = cardState.get(card);
    if (!st || st.build !== card.dataset.build) {
      const loading = loadingOf(card);  // a card laid out with its body is drawn already
      const drawn = !!loading && loading.classList.contains("done");
      st = { build: card.dataset.build, phase: drawn ? "done" : "idle", asked: 0, tries: TRIES };
      cardState.set(card, st);
    }
    return st;
  }

  function loadingOf(card) {
    for (const child of card.children) if (child.classList.contains("card-loading")) return child;
    return null;
  }

  /* ---- filtering ------------------------------------------------------------------- */
  function applyTo(box) {
    const crit = criteria.get(box.dataset.prefix);
    if (!crit) return;
    let any = false;
    for (const group of box.querySelectorAll(".group")) {
      let n = 0;
      for (const card of group.querySelectorAll(".tag-card")) {
        const show = (!crit.re || crit.re.test(card.dataset.tag)) &&
                     runsOf(card).some((r) => crit.selected.has(r));
        if (card.hidden === show) card.hidden = !show;
        if (show) n++;
      }
      if (group.hidden !== (n === 0)) group.hidden = n === 0;
      const count = group.querySelector(".group-count");
      if (count && count.textContent !== String(n)) count.textContent = String(n);
      any = any || n > 0;
    }
    const empty = box.querySelector(".tag-cards-empty");
    if (empty && empty.hidden !== any) empty.hidden = any;
  }

  function sweep() {
    sweepQueued = false;
    for (const box of document.querySelectorAll(".tag-cards")) {
      applyTo(box);
      for (const card of box.querySelectorAll(".tag-card")) {
        const st = stateOf(card);
        if (!st.observed) { st.observed = true; nearView.observe(card); }
      }
    }
  }

  function queueSweep() {
    if (!sweepQueued) { sweepQueued = true; requestAnimationFrame(sweep); }
  }

  function apply(selected, filterText, _children, containerId) {
    const box = document.getElementById(containerId);
    const prefix = box ? box.dataset.prefix : String(containerId).replace(/-cards$/, "");
    const { re, error } = compileFilter(filterText);
    const key = JSON.stringify(selected || []);
    const before = criteria.get(prefix);
    criteria.set(prefix, { re: re, selected: new Set(selected || []), key: key });
    if (box && before && before.key !== key && box.dataset.refreshOnSelect) refreshBox(box);
    if (box) applyTo(box);
    queueSweep();  // cards React has not put in the page yet
    return error;
  }

  /* ---- asking for bodies ----------------------------------------------------------- */
  function ask(card) {
    const st = stateOf(card);
    const loading = loadingOf(card);
    if (loading && loading.classList.contains("done")) {
      loading.classList.remove("done");  // the loading state shows at once; the prop follows
      window.dash_clientside.set_props(partId(card, "loading"), { className: "card-loading" });
    }
    st.phase = "asking";
    st.asked = performance.now();
    asking.set(card, st.asked);
    window.dash_clientside.set_props(partId(card, "visible"), { data: Date.now() });
  }

  function pump() {
    pumpTimer = 0;
    const now = performance.now();
    for (const [card, since] of asking) {
      const st = stateOf(card);
      const loading = loadingOf(card);
      if (!card.isConnected || st.phase !== "asking") { asking.delete(card); continue; }
      if (loading && loading.classList.contains("done")) {
        st.phase = "done";
        asking.delete(card);
      } else if (now - since > ASK_TIMEOUT_MS) {  // superseded or lost: ask again
        asking.delete(card);
        st.phase = "idle";
        if (--st.tries > 0) waiting.add(card);
      }
    }
    const box = document.querySelector(".tag-cards");
    const most = box ? Number(box.dataset.atOnce || 3) : 3;
    if (asking.size < most && waiting.size) {
      const queue = [...waiting].filter((c) => c.isConnected && !c.hidden);
      waiting.clear();
      queue.sort((p, q) => {
        const a = p.getBoundingClientRect(), b = q.getBoundingClientRect();
        return a.top - b.top || a.left - b.left;
      });
      while (queue.length && asking.size < most) ask(queue.shift());
      for (const card of queue) waiting.add(card);
    }
    if ((asking.size || waiting.size) && !pumpTimer) pumpTimer = setTimeout(pump, 40);
  }

  const nearView = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const card = entry.target;
      if (!entry.isIntersecting || !card.isConnected) continue;
      const st = stateOf(card);
      if (st.phase === "idle" || st.phase === "stale") {
        st.phase = "waiting";
        waiting.add(card);
      }
    }
    if (waiting.size && !pumpTimer) pumpTimer = setTimeout(pump, 0);
  }, { rootMargin: NEAR });

  function stale(card) {
    // Asked before: ask again when (or as soon as) it is near the view.
    const st = stateOf(card);
    if (st.phase === "idle" || st.phase === "waiting") return;
    st.phase = "stale";
    st.tries = TRIES;
    asking.delete(card);
    nearView.unobserve(card);
    nearView.observe(card);  // the observer reports at once whether it is near
  }

  function refreshBox(box) {
    for (const card of box.querySelectorAll(".tag-card")) stale(card);
  }

  function refresh() {
    const args = Array.prototype.slice.call(arguments);
    const box = document.getElementById(args[args.length - 1]);
    if (box) refreshBox(box);
    return noUpdate();
  }

  /* ---- live updates ---------------------------------------------------------------- */
  function live(changes, containerId, rebuild) {
    const box = document.getElementById(containerId);
    if (!changes || !changes.changed || !box) return noUpdate();
    const kind = box.dataset.kind, perRun = box.dataset.perRun === "1";
    const byKey = new Map();
    for (const card of box.querySelectorAll(".tag-card")) {
      byKey.set(perRun ? card.dataset.tag + "\n" + card.dataset.run : card.dataset.tag, card);
    }
    let grown = false;
    for (const [run, kinds] of Object.entries(changes.changed)) {
      for (const tag of kinds[kind] || []) {
        const card = byKey.get(perRun ? tag + "\n" + run : tag);
        if (!card || !runsOf(card).includes(run)) grown = true;
        else if (box.dataset.live === "rerender") stale(card);
      }
    }
    return grown ? (rebuild || 0) + 1 : noUpdate();
  }

  new MutationObserver((records) => {
    for (const r of records) {
      if (r.addedNodes.length && r.target.nodeType === 1 && !r.target.closest("svg")) {
        queueSweep();
        return;
      }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });

  window.inspectorCards = { compileFilter: compileFilter, stale: stale };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cards: { apply: apply, live: live, refresh: refresh },
  });
})();
