// Shoal dashboard: draws the node's snapshots from /dashboard/events, publishes through
// POST channel/{name} and subscribes with EventSource. No framework; every value from the
// network goes into the page as text, never as markup.

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const STATE_GLYPH = { alive: "✓", suspect: "?", dead: "✕", left: "–" };
  const MAX_EVENTS = 100;
  // A token in the page URL (?authorization=...) is passed on to the node, as EventSource cannot send headers.
  const token = new URLSearchParams(location.search).get("authorization");

  const $ = (id) => document.getElementById(id);

  /** Builds an element; `children` are nodes or strings (always inserted as text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function withToken(url) {
    if (token === null) return url;
    return `${url}${url.includes("?") ? "&" : "?"}authorization=${encodeURIComponent(token)}`;
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour12: false });
  }

  function ago(ms, now) {
    const s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }

  function stateBadge(state) {
    const known = Object.hasOwn(STATE_GLYPH, state) ? state : "left";
    return el("span", { class: `state badge state-${known}` }, el("i", { "aria-hidden": "true" }), state);
  }

  /** A member's own dashboard, when it advertises a reachable HTTP address. */
  function dashboardUrl(m) {
    if (m.httpAddr === null || m.state === "dead" || m.state === "left") return null;
    if (/^(0\.0\.0\.0|\[::\])(:|$)/.test(m.httpAddr)) return null;
    return `${location.protocol}//${m.httpAddr}/${token === null ? "" : `?authorization=${encodeURIComponent(token)}`}`;
  }

  // ---- cluster picture --------------------------------------------------------------------

  function truncate(text, max) {
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
  }

  /**
   * The ring: members around a circle, this node with a halo. How much is drawn depends on the
   * size: links and labels while they stay legible, then names only, then dots (the table and
   * the tooltips always have everything).
   */
  function drawRing(snap) {
    const ring = $("ring");
    const title = ring.querySelector("title");
    ring.replaceChildren(title);
    const cx = 180;
    const cy = 178;
    const r = 112;
    const members = snap.members;
    const n = members.length;
    const tier = n <= 8 ? "full" : n <= 16 ? "compact" : "dots";
    const radius = tier === "full" ? 19 : tier === "compact" ? 13 : Math.max(5, Math.min(10, 300 / n));
    ring.append(svg("circle", { class: "orbit", cx, cy, r }));
    const spots = members.map((m, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
      return { m, x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) };
    });
    const me = spots.find((s) => s.m.local);
    const labels = [];
    if (me !== undefined && n <= 6) {
      for (const s of spots) {
        if (s === me || s.m.state === "dead" || s.m.state === "left") continue;
        ring.append(
          svg("line", {
            class: `link${s.m.state === "suspect" ? " link-suspect" : ""}`,
            x1: me.x,
            y1: me.y,
            x2: s.x,
            y2: s.y,
          }),
        );
        if (s.m.rttMs !== null && n <= 5) {
          // Near the peer's end of the link; drawn last so nothing covers it.
          labels.push(
            svg(
              "text",
              { class: "rtt", x: s.x + 0.25 * (me.x - s.x), y: s.y + 0.25 * (me.y - s.y) + 4 },
              formatRtt(s.m.rttMs),
            ),
          );
        }
      }
    }
    const alive = members.filter((m) => m.state === "alive" || m.state === "suspect").length;
    ring.append(svg("circle", { class: "center-bg", cx, cy: cy + 8, r: 40 }));
    ring.append(svg("text", { class: "center center-count", x: cx, y: cy + 6 }, String(alive)));
    ring.append(
      svg("text", { class: "center", x: cx, y: cy + 26 }, alive === 1 ? "member up" : "members up"),
    );
    for (const s of spots) {
      const state = Object.hasOwn(STATE_GLYPH, s.m.state) ? s.m.state : "left";
      const g = svg("g", {
        class: `node node-${state} tier-${tier}`,
        "data-name": s.m.name,
        "data-state": s.m.state,
      });
      g.append(svg("title", {}, `${s.m.name}: ${s.m.state}${s.m.local ? " (this node)" : ""}`));
      if (s.m.local) g.append(svg("circle", { class: "halo", cx: s.x, cy: s.y, r: radius + 5 }));
      g.append(svg("circle", { class: "body", cx: s.x, cy: s.y, r: radius }));
      if (tier !== "dots") g.append(svg("text", { class: "glyph", x: s.x, y: s.y + 1 }, STATE_GLYPH[state]));
      // Labels go outside the ring: below the lower half, above the upper half.
      const below = s.y >= cy - 1;
      if (tier === "full") {
        const dy = below ? radius + 18 : -(radius + 30);
        const name = truncate(s.m.name, 14) + (s.m.local ? " (you)" : "");
        g.append(svg("text", { class: "name", x: s.x, y: s.y + dy }, name));
        g.append(svg("text", { class: "state-label", x: s.x, y: s.y + dy + 15 }, s.m.state));
      } else if (tier === "compact") {
        const dy = below ? radius + 13 : -(radius + 6);
        g.append(svg("text", { class: "name name-small", x: s.x, y: s.y + dy }, truncate(s.m.name, 10)));
      }
      ring.append(g);
    }
    ring.append(...labels);
  }

  function formatRtt(ms) {
    return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
  }

  function drawMembers(snap) {
    const body = $("members").tBodies[0];
    const rows = snap.members.map((m) => {
      const url = dashboardUrl(m);
      const since = el("span", { class: "since" }, `for ${ago(m.since, snap.time)}`);
      return el(
        "tr",
        {
          class: `${m.local ? "is-local" : ""}${m.reaped ? " is-gone" : ""}`,
          "data-name": m.name,
          "data-state": m.state,
        },
        el("td", {}, m.name, m.local ? el("span", { class: "tag" }, "this node") : null),
        el("td", {}, stateBadge(m.state), since),
        el("td", { class: "num mono" }, m.incarnation === null ? "–" : String(m.incarnation)),
        el("td", { class: "mono" }, m.gossipAddr),
        el("td", { class: "mono" }, url === null ? (m.httpAddr ?? "–") : el("a", { href: url }, m.httpAddr)),
        el("td", {}, el("div", { class: "meta", title: m.meta }, m.meta === "" ? "–" : m.meta)),
        el(
          "td",
          { class: "num mono rtt", title: m.rttAt === null ? "" : `measured ${ago(m.rttAt, snap.time)} ago` },
          m.local ? "–" : m.rttMs === null ? "…" : formatRtt(m.rttMs),
        ),
      );
    });
    body.replaceChildren(...rows);
    const counts = { alive: 0, suspect: 0, dead: 0, left: 0 };
    for (const m of snap.members) if (Object.hasOwn(counts, m.state)) counts[m.state]++;
    $("cluster-summary").textContent =
      `${counts.alive} alive · ${counts.suspect} suspect · ${counts.dead} dead · ${counts.left} left`;
  }

  function drawLinks(snap) {
    const items = snap.replication.map((l) =>
      el(
        "li",
        { "data-peer": l.peer },
        el("span", { class: "mono" }, `→ ${l.peer}`),
        el(
          "span",
          { class: `state state-${l.connected ? "alive" : "suspect"}` },
          el("i", { "aria-hidden": "true" }),
          l.connected ? "connected" : "connecting",
        ),
        el("span", { class: "muted" }, l.lagEvents === 0 ? "up to date" : `${l.lagEvents} events behind`),
      ),
    );
    if (snap.backplane) {
      const bp = snap.backplane;
      const up = bp.state === "up";
      items.unshift(
        el(
          "li",
          { "data-backplane": bp.kind },
          el("span", { class: "mono" }, `⇄ ${bp.target}`),
          el(
            "span",
            { class: `state state-${up ? "alive" : bp.state === "down" ? "dead" : "suspect"}` },
            el("i", { "aria-hidden": "true" }),
            bp.state,
          ),
          el(
            "span",
            { class: "muted" },
            up ? "backplane: events travel through Redis" : `since ${ago(bp.since, snap.time)}`,
          ),
        ),
      );
    }
    $("links").replaceChildren(...items);
    $("links-empty").hidden = items.length > 0;
  }

  // ---- traffic --------------------------------------------------------------------------

  function drawChart(snap) {
    const chart = $("chart");
    const title = chart.querySelector("title");
    chart.replaceChildren(title);
    const W = 600;
    const H = 160;
    const top = 14;
    const slots = 60;
    const rates = snap.rates.slice(-slots);
    const peak = Math.max(1, ...rates.map((s) => Math.max(s.events, s.delivered)));
    const scale = niceCeil(peak);
    for (const f of [0.5, 1]) {
      const y = H - (H - top) * f;
      chart.append(svg("line", { class: "grid-line", x1: 0, x2: W, y1: y, y2: y }));
    }
    chart.append(svg("text", { class: "axis", x: 6, y: top + 2 }, `${scale}/s`));
    const w = W / slots;
    const offset = slots - rates.length;
    rates.forEach((s, i) => {
      const h = ((H - top) * s.events) / scale;
      chart.append(
        svg("rect", {
          class: "bar",
          x: (offset + i) * w + 1,
          y: H - h,
          width: Math.max(1, w - 2),
          height: h,
        }),
      );
    });
    if (rates.length > 1) {
      const pts = rates
        .map(
          (s, i) =>
            `${((offset + i + 0.5) * w).toFixed(1)},${(H - ((H - top) * s.delivered) / scale).toFixed(1)}`,
        )
        .join(" ");
      chart.append(svg("polyline", { class: "line", points: pts }));
    }
    const last = rates[rates.length - 1];
    $("rate-now").textContent = last === undefined ? "0" : String(last.events);
    $("total-published").textContent = snap.totals.published.toLocaleString();
    $("total-received").textContent = snap.totals.received.toLocaleString();
    $("total-delivered").textContent = snap.totals.delivered.toLocaleString();
    $("total-connections").textContent = snap.connections.toLocaleString();
  }

  function niceCeil(x) {
    const p = 10 ** Math.floor(Math.log10(x));
    for (const m of [1, 2, 5, 10]) if (x <= m * p) return m * p;
    return 10 * p;
  }

  function drawChannels(snap) {
    const body = $("channels").tBodies[0];
    body.replaceChildren(
      ...snap.channels.map((c) =>
        el(
          "tr",
          { "data-channel": c.name },
          el("td", { class: "mono" }, c.name),
          el("td", { class: "num mono" }, String(c.subscribers)),
        ),
      ),
    );
    $("channels-empty").hidden = snap.channels.length > 0;
    $("channels").hidden = snap.channels.length === 0;
    $("channels-summary").textContent =
      snap.channelCount > snap.channels.length
        ? `busiest ${snap.channels.length} of ${snap.channelCount}`
        : `${snap.channelCount} with subscribers`;
  }

  function drawChanges(snap) {
    const items = [...snap.changes].reverse().map((c) => {
      const what =
        c.type === "suspect"
          ? `${c.node} is suspected${c.from ? ` by ${c.from}` : ""}`
          : c.type === "join"
            ? `${c.node} joined`
            : c.type === "leave"
              ? `${c.node} ${c.state === "left" ? "left" : "died"}`
              : `${c.node} updated`;
      return el(
        "li",
        { "data-node": c.node, "data-type": c.type },
        el("time", { datetime: new Date(c.time).toISOString() }, clock(c.time)),
        el(
          "span",
          {},
          stateBadge(c.state),
          " ",
          what,
          c.incarnation === null ? "" : ` (inc. ${c.incarnation})`,
        ),
      );
    });
    $("changes").replaceChildren(...items);
    $("changes-empty").hidden = items.length > 0;
  }

  function draw(snap) {
    document.title = `${snap.node} · Shoal`;
    $("node-name").textContent = snap.node;
    $("health-score").textContent = String(snap.healthScore);
    $("health").classList.toggle("health-bad", snap.healthScore > 0);
    drawRing(snap);
    drawMembers(snap);
    drawLinks(snap);
    drawChart(snap);
    drawChannels(snap);
    drawChanges(snap);
  }

  // ---- live feed ------------------------------------------------------------------------

  let lastFrame = 0;

  function setLive(kind, text) {
    const pill = $("live");
    pill.className = `pill pill-${kind}`;
    pill.textContent = text;
  }

  function connect() {
    const es = new EventSource(withToken("dashboard/events"));
    es.addEventListener("snapshot", (e) => {
      lastFrame = Date.now();
      setLive("live", "live");
      try {
        draw(JSON.parse(e.data));
      } catch (err) {
        console.error("bad snapshot", err);
      }
    });
    es.onerror = () => {
      // EventSource retries on its own; a 401/403 closes it for good.
      setLive(
        es.readyState === EventSource.CLOSED ? "down" : "wait",
        es.readyState === EventSource.CLOSED ? "no access" : "reconnecting…",
      );
    };
  }

  setInterval(() => {
    if (lastFrame !== 0 && Date.now() - lastFrame > 5000) setLive("wait", "no data for 5s");
  }, 1000);

  // ---- publish --------------------------------------------------------------------------

  $("publish-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("publish-result");
    const channelInput = $("publish-channel");
    if (!channelInput.checkValidity()) {
      out.className = "result err";
      out.textContent = "Channel: 1–128 letters, digits or _ . ~ : @ -";
      return;
    }
    const text = $("publish-data").value;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    const headers = { "Content-Type": "application/json" };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    try {
      const res = await fetch(`channel/${encodeURIComponent(channelInput.value)}`, {
        method: "POST",
        headers,
        body: JSON.stringify({ data }),
      });
      const body = await res.json().catch(() => ({}));
      if (res.ok) {
        out.className = "result ok";
        out.textContent = `Published: event ${body.seq} of this node, at ${clock(Date.now())}`;
      } else {
        out.className = "result err";
        out.textContent = `Refused (${res.status}): ${body.error?.message ?? res.statusText}`;
      }
    } catch (err) {
      out.className = "result err";
      out.textContent = `Could not reach the node: ${err.message}`;
    }
  });

  // ---- subscribe ------------------------------------------------------------------------

  let sub = null;
  let subChannel = null;

  /** The button stops the current subscription, or subscribes to the channel typed. */
  function updateSubscribeButton() {
    const button = $("subscribe-button");
    const stop = sub !== null && $("subscribe-channel").value === subChannel;
    button.textContent = stop ? "Stop" : "Subscribe";
    button.classList.toggle("secondary", stop);
  }

  function stopSubscription() {
    if (sub !== null) sub.close();
    sub = null;
    subChannel = null;
    updateSubscribeButton();
  }

  function addEvent(e, name) {
    const list = $("events");
    const item = el(
      "li",
      { class: "fresh", "data-event": name },
      el("time", {}, clock(Date.now())),
      el("span", { class: "data" }, name === "message" ? e.data : `[${name}] ${e.data}`),
    );
    list.prepend(item);
    while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
    $("events-empty").hidden = true;
  }

  function showCurlHint(channel) {
    const url = new URL(`channel/${encodeURIComponent(channel)}`, location.href);
    url.search = "";
    $("curl-hint").textContent =
      `curl -X POST ${url.href} -H 'Content-Type: application/json' -d '{"data":"hi"}'`;
    $("events-empty").hidden = false;
  }

  function subscribe(channel) {
    stopSubscription();
    $("events").replaceChildren();
    showCurlHint(channel);
    const status = $("subscribe-status");
    status.textContent = `Connecting to “${channel}”…`;
    const es = new EventSource(withToken(`channel/${encodeURIComponent(channel)}`));
    sub = es;
    subChannel = channel;
    updateSubscribeButton();
    es.addEventListener("shoal-ready", () => {
      status.dataset.channel = channel;
      status.textContent = `Subscribed to “${channel}” on this node: events published on any node appear here.`;
    });
    es.addEventListener("reset", (e) => addEvent(e, "reset"));
    es.onmessage = (e) => addEvent(e, "message");
    es.onerror = () => {
      if (sub !== es) return;
      delete status.dataset.channel;
      status.textContent =
        es.readyState === EventSource.CLOSED ? `Subscription to “${channel}” refused.` : "Reconnecting…";
    };
  }

  $("subscribe-channel").addEventListener("input", updateSubscribeButton);
  $("subscribe-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("subscribe-channel");
    if (sub !== null && input.value === subChannel) {
      stopSubscription();
      delete $("subscribe-status").dataset.channel;
      $("subscribe-status").textContent = "Not subscribed.";
      return;
    }
    if (!input.checkValidity()) {
      $("subscribe-status").textContent = "Channel: 1–128 letters, digits or _ . ~ : @ -";
      return;
    }
    subscribe(input.value);
  });

  connect();
  subscribe($("subscribe-channel").value);
})();
