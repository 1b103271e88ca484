// The event timeline view. Python owns the span tree and sends one page of rows and its time axis; this
// file draws the filter bar, the column headings and axis, the rows (tree indent, badge, status, duration,
// start, tokens, waterfall bar), the pager and, beside them, the selected row's detail. It sends back only
// what the user chose: filter, page, selected row (by the span's id, never by its position).

// h(tag, props, ...children) and onPress come from dom.js, which Python puts before this module

function ms(value) {
  if (value === null || value === undefined) return "";
  if (value < 1000) return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(2)} s`;
  return `${Math.floor(value / 60_000)} min ${Math.round((value % 60_000) / 1000)} s`;
}

const STATUSES = ["", "running", "ok", "error", "skipped", "event"];

function render({ model, el }) {
  el.classList.add("lls-widget", "lls-timeline");
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const setFilter = (key, value) => set("filter", { ...model.get("filter"), [key]: value });

  let typing;
  const typed = (key) => (e) => { clearTimeout(typing); typing = setTimeout(() => setFilter(key, e.target.value.trim()), 300); };
  const typeBox = h("input", { placeholder: "type: tool.*, workflow.*,step.*", class: "lls-type", title:
    "event types: globs, separated by commas", oninput: typed("type") });
  const searchBox = h("input", { placeholder: "search names", class: "lls-search", oninput: typed("search") });
  const engineBox = h("select", { class: "lls-engine", onchange: (e) => setFilter("engine", e.target.value) });
  const statusBox = h("select", { class: "lls-status-filter", onchange: (e) => setFilter("status", e.target.value) },
    STATUSES.map((s) => h("option", { value: s }, s || "any status")));
  const totals = h("div", { class: "lls-totals" });
  const axis = h("div", { class: "lls-axis" });
  const head = h("div", { class: "lls-cols lls-head" }, h("span", {}, "Name"), h("span", {}, "Status"),
    h("span", { class: "lls-num" }, "Duration"), h("span", { class: "lls-col-start" }, "Start"),
    h("span", { class: "lls-num lls-col-tokens" }, "Tokens"), axis);
  const rows = h("div", { class: "lls-rows" });
  const pager = h("div", { class: "lls-pager" });
  const detail = h("div", { class: "lls-detail" });
  el.append(h("div", { class: "lls-bar" }, typeBox, engineBox, statusBox, searchBox), totals,
    h("div", { class: "lls-main" }, h("div", { class: "lls-list" }, head, rows, pager), detail));
  onPress(rows, ".lls-row", (row) => { if (row.dataset.id !== model.get("selected")) set("selected", row.dataset.id); });

  function page(delta) {
    const size = model.get("page_size");
    const offset = Math.max(0, Math.min(model.get("offset") + delta * size, model.get("total") - 1));
    model.set("follow", false);
    set("offset", offset);
  }

  function drawBar() {
    const f = model.get("filter");
    if (document.activeElement !== typeBox) typeBox.value = f.type || "";
    if (document.activeElement !== searchBox) searchBox.value = f.search || "";
    statusBox.value = f.status || "";
    const t = model.get("totals");
    engineBox.replaceChildren(...["", ...(t.engines || [])].map((e) => h("option", { value: e }, e || "any engine")));
    engineBox.value = f.engine || "";
    const errors = t.errors || 0;
    totals.replaceChildren(`${t.spans || 0} spans · ${t.running || 0} running · `,
      h("span", { class: errors ? "lls-has-errors" : null }, `${errors} error${errors === 1 ? "" : "s"}`),
      ` · ${t.events || 0} events · ${t.tokens || 0} tokens · $${(t.cost || 0).toFixed(4)}`);
  }

  // a running row's duration counts up between redraws, from the elapsed time Python measured
  let drawnAt = performance.now();
  function tickRunning() {
    const since = performance.now() - drawnAt;
    for (const cell of rows.querySelectorAll(".lls-dur[data-elapsed]")) {
      cell.textContent = ms(Number(cell.dataset.elapsed) + since);
    }
  }
  const ticker = setInterval(tickRunning, 250);

  // tick labels closer than a label's width: keep every n-th (the gridlines stay)
  function thinAxis() {
    const labels = [...axis.querySelectorAll(".lls-tick")];
    const every = Math.max(1, Math.ceil((labels.length - 1) * 64 / Math.max(axis.clientWidth, 1)));
    labels.forEach((label, i) => { label.style.visibility = i % every === 0 ? "" : "hidden"; });
  }
  const resized = new ResizeObserver(thinAxis);
  resized.observe(axis);

  function drawRows() {
    const selected = model.get("selected");
    const { ticks = [], breaks = [] } = model.get("axis") || {};
    axis.replaceChildren(...breaks.map((b) => h("span", { class: "lls-break", title: b.label,
      style: `left: ${(b.at * 100).toFixed(2)}%; width: ${(b.width * 100).toFixed(2)}%` })),
      ...ticks.map((t, i) => h("span", { class: "lls-tick" + (i === 0 ? " lls-tick-first" : i === ticks.length - 1
        ? " lls-tick-last" : ""), style: `left: ${(t.at * 100).toFixed(2)}%` }, t.label)));
    rows.style.setProperty("--lls-ticks", Math.max(1, ticks.length - 1));
    thinAxis();
    drawnAt = performance.now();
    const shown = model.get("rows");
    if (!shown.length) {
      const f = model.get("filter");
      const filtered = Object.values(f).some((v) => v);
      rows.replaceChildren(h("div", { class: "lls-empty" }, filtered
        ? `No rows match this filter${f.type ? ` (type: ${f.type})` : ""}. Globs look like tool.* or workflow.*,step.*`
        : "No events yet: they appear here as cells run."));
    } else {
      rows.replaceChildren(...shown.map((r) => h("div", {
        class: `lls-cols lls-row lls-${r.status}` + (r.id === selected ? " lls-selected" : ""),
        "data-id": r.id, "data-kind": r.kind, "data-status": r.status, title: r.type,
      },
        h("span", { class: "lls-name", style: `padding-left: ${r.depth * 12}px` },
          h("span", { class: `lls-badge lls-kind-${r.kind}` }, r.kind), h("span", { class: "lls-label" }, r.name)),
        h("span", { class: `lls-status lls-${r.status}` }, r.status),
        h("span", { class: "lls-num lls-dur", "data-elapsed": r.status === "running" ? r.elapsed : null },
          r.status === "running" ? ms(r.elapsed) : ms(r.duration)),
        h("span", { class: "lls-mono lls-col-start" }, r.time),
        h("span", { class: "lls-num lls-col-tokens" }, r.tokens ? String(r.tokens) : ""),
        h("span", { class: "lls-track" }, breaks.map((b) => h("span", { class: "lls-break",
          style: `left: ${(b.at * 100).toFixed(2)}%; width: ${(b.width * 100).toFixed(2)}%` })),
        h("span", { class: `lls-bar-span lls-${r.span ? r.status : r.status === "error" ? "error" : "event"}`,
          style: `left: ${(r.left * 100).toFixed(2)}%` + (r.span ? `; width: ${(r.width * 100).toFixed(2)}%` : "") })),
      )));
    }
    const total = model.get("total"), offset = model.get("offset");
    const last = Math.min(offset + shown.length, total);
    pager.replaceChildren(
      h("button", { class: "lls-earlier", onclick: () => page(-1), disabled: offset > 0 ? null : "" }, "◀ Earlier"),
      h("span", { class: "lls-range" }, `rows ${total ? offset + 1 : 0}–${last} of ${total}`),
      h("button", { class: "lls-later", onclick: () => page(1), disabled: last < total ? null : "" }, "Later ▶"),
      h("label", { class: "lls-follow", title: "keep the newest rows in view" },
        h("input", { type: "checkbox", checked: model.get("follow") ? "" : null,
          onchange: (e) => set("follow", e.target.checked) }), "follow newest"),
    );
  }

  function fact(name, value) {
    return value === "" || value === null || value === undefined ? []
      : [h("span", { class: "lls-fact-name" }, name), h("span", { class: "lls-fact" }, value)];
  }

  function drawDetail() {
    const selected = model.get("selected");
    const d = model.get("detail");
    if (!selected) {
      detail.replaceChildren(h("div", { class: "lls-placeholder" }, "Select a row to see its inputs and outputs."));
      return;
    }
    if (!d || d.id !== selected) {  // the detail of the pressed row is on its way; never show another row's
      detail.replaceChildren(h("div", { class: "lls-placeholder" }, "Loading…"));
      return;
    }
    detail.replaceChildren(
      h("div", { class: "lls-detail-head", "data-id": d.id },
        h("div", { class: "lls-detail-title" }, h("span", { class: `lls-badge lls-kind-${d.kind}` }, d.kind), d.name),
        h("div", { class: "lls-detail-type lls-mono lls-dim" }, `${d.type}${d.end_type ? " → " + d.end_type : ""}`)),
      h("div", { class: "lls-facts" },
        ...fact("Status", h("span", { class: `lls-status lls-${d.status}` }, d.status)),
        ...fact("Engine", d.engine || "python"), ...fact("Started", d.time),
        ...fact("Duration", d.duration === null ? (d.status === "running" ? "running…" : "") : ms(d.duration)),
        ...fact("Tokens", d.tokens ? `${d.tokens} · $${d.cost.toFixed(4)}` : ""),
        ...fact("Chunks", d.chunks || "")),
      ...d.sections.map((s) => h("details", { open: s.open ? "" : null, "data-title": s.title },
        h("summary", {}, s.title), h("pre", {}, s.text))),
    );
  }

  model.on("change:rows", drawRows);
  model.on("change:axis", drawRows);
  model.on("change:selected", () => { drawRows(); drawDetail(); });
  model.on("change:totals", drawBar);
  model.on("change:filter", drawBar);
  model.on("change:detail", drawDetail);
  drawBar();
  drawRows();
  drawDetail();
  return () => { clearInterval(ticker); resized.disconnect(); };
}

export default { render };
