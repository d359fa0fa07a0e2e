/* Tag cards in the browser (the other half of dashboards/components/tag_cards.py).
 *
 * Why Dash alone is not enough:
 * - A card must ask for its body when it comes near the view. Dash has no notion of "near
 *   the view"; an IntersectionObserver queues each card the first time it is within 600 px
 *   of the view, and the cards near the view are asked for a batch at a time, top first
 *   (one request: `<prefix>-ask`), so the first charts are drawn while the rest are on
 *   their way. The server fills each card's body straight into its slot.
 * - The run selection and the tag filter hide cards here, without a server round trip: a
 *   page of hundreds of cards applies an edit in one frame.
 * A card gets the class `loaded` with the server's answer (its loading state, drawn by CSS,
 * ends), which is how an answer is recognised.
 */
(function () {
  "use strict";

  const NEAR = "600px 0px";
  const ASK_TIMEOUT_MS = 10000, TRIES = 3;
  const criteria = new Map();  // prefix -> { re, selected: Set, key }
  const cardState = new WeakMap();  // card element -> { build, phase, tries, observed }
  const runsCache = new WeakMap();  // card element -> [run, ...]
  const runLists = new WeakMap();  // the .tag-cards-runs element -> [run, ...]
  const waiting = new Set();  // cards near the view, not asked yet
  const inflight = new Map();  // prefix -> { cards: [...], since }
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
      return { re: new RegExp(escaped, "i"),
               error: "not a regular expression (" + err.message + ")" };
    }
  }

  function cardId(card) {  // tag_cards.TagCards._slot_id
    return card.dataset.prefix + "-" + card.dataset.build + "-" + card.dataset.n;
  }

  function runsOf(card) {
    let runs = runsCache.get(card);
    if (!runs) {
      if (card.dataset.run) {
        runs = [card.dataset.run];
      } else {
        const box = card.closest(".tag-cards");
        const holder = box && box.querySelector(".tag-cards-runs");
        let all = holder ? runLists.get(holder) : null;
        if (holder && !all) { all = JSON.parse(holder.dataset.runs); runLists.set(holder, all); }
        runs = (card.dataset.runs || "").split(" ").filter((i) => i !== "")
          .map((i) => (all || [])[Number(i)]);
      }
      runsCache.set(card, runs);
    }
    return runs;
  }

  function isDrawn(card) {
    return card.classList.contains("loaded");
  }

  function stateOf(card) {
    let st = cardState.get(card);
    if (!st || st.build !== card.dataset.build) {
      // A card laid out with its body (the first screen) is drawn already.
      st = { build: card.dataset.build, phase: isDrawn(card) ? "done" : "idle", tries: TRIES };
      cardState.set(card, st);
    }
    return st;
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

  function apply(selected, filterText, _built, containerId) {
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
  function askBatch(prefix, batch) {
    for (const card of batch) {
      if (isDrawn(card)) {
        card.classList.remove("loaded");  // the loading state shows at once; the prop follows
        window.dash_clientside.set_props(cardId(card), { className: card.className });
      }
      stateOf(card).phase = "asking";
    }
    inflight.set(prefix, { cards: batch, since: performance.now() });
    window.dash_clientside.set_props(prefix + "-ask", { data: {
      build: batch[0].dataset.build, t: Date.now(),
      cards: batch.map((c) => [Number(c.dataset.n), c.dataset.tag, c.dataset.run || ""]),
    } });
  }

  function pump() {
    pumpTimer = 0;
    const now = performance.now();
    for (const [prefix, flight] of inflight) {
      let open = false;
      for (const card of flight.cards) {
        const st = stateOf(card);
        if (!card.isConnected || st.phase !== "asking") continue;
        if (isDrawn(card)) { st.phase = "done"; continue; }
        if (now - flight.since > ASK_TIMEOUT_MS) {  // superseded or lost: ask again
          st.phase = "idle";
          if (--st.tries > 0) waiting.add(card);
          continue;
        }
        open = true;
      }
      if (!open) inflight.delete(prefix);
    }
    if (waiting.size) {
      const queue = [...waiting].filter((c) => c.isConnected && !c.hidden);
      waiting.clear();
      queue.sort((p, q) => {
        const a = p.getBoundingClientRect(), b = q.getBoundingClientRect();
        return a.top - b.top || a.left - b.left;
      });
      const byPrefix = new Map();
      for (const card of queue) {
        const key = card.dataset.prefix;
        if (!byPrefix.has(key)) byPrefix.set(key, []);
        byPrefix.get(key).push(card);
      }
      for (const [prefix, cards] of byPrefix) {
        const box = cards[0].closest(".tag-cards");
        const most = Number((box && box.dataset.atOnce) || 6);
        if (!inflight.has(prefix)) {
          const build = cards[0].dataset.build;
          const batch = cards.filter((c) => c.dataset.build === build).slice(0, most);
          askBatch(prefix, batch);
          cards.filter((c) => !batch.includes(c)).forEach((c) => waiting.add(c));
        } else {
          cards.forEach((c) => waiting.add(c));
        }
      }
    }
    if ((inflight.size || waiting.size) && !pumpTimer) pumpTimer = setTimeout(pump, 30);
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
    nearView.unobserve(card);
    nearView.observe(card);  // the observer reports at once whether it is near
  }

  function refreshBox(box) {
    inflight.delete(box.dataset.prefix);
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

  window.inspectorCards = { compileFilter: compileFilter, stale: stale, runsOf: runsOf };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cards: { apply: apply, live: live, refresh: refresh },
  });
})();
