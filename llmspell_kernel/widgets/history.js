// The state history view: a list of versions (newest first), and for the selected one its diff
// against its parent and the whole state as a collapsible tree. Rollback asks for a confirmation,
// then sends {action: "rollback", version} to Python, which calls State.rollback.

// h(tag, props, ...children) comes from dom.js, which Python puts before this module

// a JSON value as nested <details>: maps and lists fold, scalars show as JSON
function tree(value, label) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const open = label === undefined ? "" : null;
    return h("details", { class: "lls-tree", open }, h("summary", {}, label === undefined ? "state" : label,
      h("span", { class: "lls-dim" }, Array.isArray(value) ? ` [${entries.length}]` : ` {${entries.length}}`)),
      entries.map(([k, v]) => tree(v, k)));
  }
  return h("div", { class: "lls-leaf" }, `${label}: `, h("code", {}, JSON.stringify(value)));
}

function render({ model, el }) {
  el.classList.add("lls-widget", "lls-history");
  const set = (name, value) => { model.set(name, value); model.save_changes(); };

  let typing;
  const keyBox = h("input", { placeholder: "key or glob (user.*)", class: "lls-key",
    oninput: (e) => { clearTimeout(typing); typing = setTimeout(() => set("key_filter", e.target.value), 300); } });
  const count = h("span", { class: "lls-totals" });
  const list = h("div", { class: "lls-versions" });
  const pane = h("div", { class: "lls-pane" });
  const message = h("div", { class: "lls-message" });
  el.append(h("div", { class: "lls-bar" }, keyBox, count), h("div", { class: "lls-split" }, list, pane), message);
  onPress(list, ".lls-version", (row) => set("selected", Number(row.dataset.version)));

  function drawList() {
    if (document.activeElement !== keyBox) keyBox.value = model.get("key_filter");
    count.textContent = `${model.get("total")} versions · current v${model.get("current")}`;
    const selected = model.get("selected");
    list.replaceChildren(...model.get("versions").map((v) => h("div", {
      class: "lls-version" + (v.version === selected ? " lls-selected" : ""), "data-version": v.version,
    }, h("b", {}, `v${v.version}`), ` ${v.time} `, h("span", { class: "lls-dim" }, v.author), ` ${v.summary}`)));
  }

  function drawPane() {
    const version = model.get("selected");
    if (version < 0) { pane.replaceChildren(h("em", {}, "Select a version to see its diff and state.")); return; }
    const diff = model.get("diff");
    const rows = diff.map((d) => h("tr", { class: `lls-${d.kind}` }, h("td", {}, d.kind), h("td", {}, h("code", {}, d.path)),
      h("td", {}, d.kind === "added" ? "" : h("code", {}, d.old)), h("td", {}, d.kind === "removed" ? "" : h("code", {}, d.new))));
    const confirm = h("span", { class: "lls-confirm", hidden: "" },
      ` Restore the store as it was at v${version}? This makes a new version. `,
      h("button", { class: "lls-confirm-yes", onclick: () => model.send({ action: "rollback", version }) }, "Confirm rollback"),
      h("button", { class: "lls-confirm-no", onclick: () => { confirm.hidden = true; } }, "Cancel"));
    pane.replaceChildren(
      h("div", { class: "lls-pane-head" }, h("b", {}, `v${version}`),
        h("button", { class: "lls-rollback", onclick: () => { confirm.hidden = false; } }, `Rollback to v${version}`),
        confirm),
      h("h4", {}, version > 0 ? `Diff against v${version - 1}` : "Diff"),
      diff.length
        ? h("table", { class: "lls-diff" }, h("tr", {}, h("th", {}, ""), h("th", {}, "key"), h("th", {}, "old"), h("th", {}, "new")), rows)
        : h("em", { class: "lls-diff" }, "no change"),
      h("h4", {}, `State at v${version}`),
      tree(model.get("snapshot")),
    );
  }

  model.on("change:versions", drawList);
  model.on("change:current", drawList);
  model.on("change:selected", () => { drawList(); drawPane(); });
  model.on("change:diff", drawPane);
  model.on("change:snapshot", drawPane);
  model.on("change:message", () => { message.textContent = model.get("message"); });
  drawList();
  drawPane();
  message.textContent = model.get("message");
}

export default { render };
