// The event timeline view. Python owns the span tree and sends one page of rows; this file draws
// the page (tree indent, badge, status, waterfall bar), the filter bar and the selected row's detail,
// and sends back only what the user chose: filter, page, selected row.

// h(tag, props, ...children) comes from dom.js, which Python puts before this module

function ms(value) {
  if (value === null || value === undefined) return "…";
  return value < 1000 ? `${value.toFixed(1)} ms` : `${(value / 1000).toFixed(2)} s`;
}

function render({ model, el }) {
  el.classList.add("lls-widget", "lls-timeline");
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const setFilter = (key, value) => set("filter", { ...model.get("filter"), [key]: value });

  let typing;
  const typeBox = h("input", { placeholder: "type glob (tool.*)", class: "lls-type",
    oninput: (e) => { clearTimeout(typing); typing = setTimeout(() => setFilter("type", e.target.value), 300); } });
  const searchBox = h("input", { placeholder: "search", class: "lls-search",
    oninput: (e) => { clearTimeout(typing); typing = setTimeout(() => setFilter("search", e.target.value), 300); } });
  const engineBox = h("select", { class: "lls-engine", onchange: (e) => setFilter("engine", e.target.value) });
  const statusBox = h("select", { class: "lls-status", onchange: (e) => setFilter("status", e.target.value) },
    ["", "running", "ok", "error", "skipped", "event"].map((s) => h("option", { value: s }, s || "any status")));
  const totals = h("span", { class: "lls-totals" });
  const rows = h("div", { class: "lls-rows" });
  const pager = h("div", { class: "lls-pager" });
  const detail = h("div", { class: "lls-detail" });
  el.append(h("div", { class: "lls-bar" }, typeBox, engineBox, statusBox, searchBox, totals), rows, pager, detail);
  onPress(rows, ".lls-row", (row) => set("selected", row.dataset.id));

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
    totals.textContent = `${t.spans || 0} spans · ${t.running || 0} running · ${t.errors || 0} errors · `
      + `${t.tokens || 0} tokens · $${(t.cost || 0).toFixed(4)}`;
  }

  function drawRows() {
    const selected = model.get("selected");
    rows.replaceChildren(...model.get("rows").map((r) => h("div", {
      class: `lls-row lls-${r.status}` + (r.id === selected ? " lls-selected" : ""),
      "data-id": r.id, "data-kind": r.kind, "data-status": r.status,
    },
      h("span", { class: "lls-name", style: `padding-left: ${r.depth * 14}px` },
        h("span", { class: `lls-badge lls-kind-${r.kind}` }, r.kind), " ", r.name),
      h("span", { class: "lls-engine-col" }, r.engine),
      h("span", { class: "lls-status-col" }, r.status),
      h("span", { class: "lls-dur" }, r.status === "event" ? r.time : ms(r.duration)),
      h("span", { class: "lls-tok" }, r.tokens ? `${r.tokens} tok · $${r.cost.toFixed(4)}` : ""),
      h("span", { class: "lls-wf" }, h("span", { class: `lls-span lls-${r.status}`,
        style: `left: ${(r.left * 100).toFixed(2)}%; width: max(2px, ${(r.width * 100).toFixed(2)}%)` })),
    )));
    const total = model.get("total"), offset = model.get("offset"), size = model.get("page_size");
    const last = Math.min(offset + size, total);
    pager.replaceChildren(
      h("button", { onclick: () => page(-1), disabled: offset > 0 ? null : "" }, "◀ earlier"),
      ` rows ${total ? offset + 1 : 0}–${last} of ${total} `,
      h("button", { onclick: () => page(1), disabled: last < total ? null : "" }, "later ▶"),
      h("label", {}, h("input", { type: "checkbox", checked: model.get("follow") ? "" : null,
        onchange: (e) => set("follow", e.target.checked) }), " follow"),
    );
  }

  function drawDetail() {
    const d = model.get("detail");
    if (!d || !d.id) { detail.replaceChildren(h("em", {}, "Click a row to see its data.")); return; }
    detail.replaceChildren(
      h("div", { class: "lls-detail-head" }, h("span", { class: `lls-badge lls-kind-${d.kind}` }, d.kind),
        ` ${d.name} · ${d.type}${d.end_type ? " → " + d.end_type : ""} · ${d.status} · ${d.engine || "python"}`
        + ` · ${ms(d.duration)}` + (d.tokens ? ` · ${d.tokens} tokens · $${d.cost.toFixed(4)}` : "")),
      ...d.sections.map(([title, text]) => h("details", { open: "" }, h("summary", {}, title), h("pre", {}, text))),
    );
  }

  model.on("change:rows", drawRows);
  model.on("change:selected", drawRows);
  model.on("change:totals", drawBar);
  model.on("change:filter", drawBar);
  model.on("change:detail", drawDetail);
  drawBar();
  drawRows();
  drawDetail();
}

export default { render };
