// The state history view: a list of versions (newest first, the current one tagged), and beside it the
// selected version: its diff against the version above it in the list (leaf paths, as State.diff) and
// the whole state as a collapsible tree. Rollback (offered on every version but the current one) asks
// for a confirmation, then sends {action: "rollback", version} to Python, which calls State.rollback.

// h(tag, props, ...children) and onPress come from dom.js, which Python puts before this module

// a JSON value as nested <details>: maps and lists fold, scalars show as JSON
function tree(value, label) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const root = label === undefined;
    return h("details", { class: "lls-tree" + (root ? " lls-root" : ""), open: root ? "" : null },
      h("summary", {}, root ? "state" : label,
        h("span", { class: "lls-dim" }, Array.isArray(value) ? ` [${entries.length}]` : ` {${entries.length}}`)),
      entries.map(([k, v]) => tree(v, k)));
  }
  return h("div", { class: "lls-leaf" }, `${label}: `, h("code", {}, JSON.stringify(value)));
}

const SIGNS = { added: "+ added", removed: "− removed", changed: "~ changed" };

function render({ model, el }) {
  el.classList.add("lls-widget", "lls-history");
  const set = (name, value) => { model.set(name, value); model.save_changes(); };

  let typing;
  const keyBox = h("input", { placeholder: "key or glob: user.*", class: "lls-key",
    oninput: (e) => { clearTimeout(typing); typing = setTimeout(() => set("key_filter", e.target.value.trim()), 300); } });
  const count = h("span", { class: "lls-totals" });
  const list = h("div", { class: "lls-versions" });
  const pane = h("div", { class: "lls-pane" });
  const message = h("div", { class: "lls-message", role: "status" });
  el.append(h("div", { class: "lls-bar" }, keyBox, count),
    h("div", { class: "lls-main" }, list, h("div", {}, message, pane)));
  onPress(list, ".lls-version", (row) => {
    const version = Number(row.dataset.version);
    if (version !== model.get("selected")) set("selected", version);
  });

  function versionRow(version) {
    return model.get("versions").find((v) => v.version === version);
  }

  function drawList() {
    if (document.activeElement !== keyBox) keyBox.value = model.get("key_filter");
    const current = model.get("current");
    count.textContent = `${model.get("total")} versions · current v${current}`;
    const selected = model.get("selected");
    list.replaceChildren(...model.get("versions").map((v) => h("div", {
      class: "lls-version" + (v.version === selected ? " lls-selected" : "") + (v.version === current ? " lls-current" : ""),
      "data-version": v.version, title: v.author ? `${v.summary} by ${v.author}` : v.summary,
    }, h("span", { class: "lls-vnum" }, `v${v.version}`), h("span", { class: "lls-mono lls-dim" }, v.time),
      h("span", {}, v.summary, v.author ? h("span", { class: "lls-dim" }, ` · ${v.author}`) : null),
      v.version === current ? h("span", { class: "lls-tag" }, "current") : h("span", {}))));
  }

  function diffTable(diff) {
    if (!diff.length) return h("div", { class: "lls-placeholder lls-diff" }, "No change.");
    return h("table", { class: "lls-diff" },
      h("thead", {}, h("tr", {}, h("th", { class: "lls-sign" }, ""), h("th", {}, "path"), h("th", {}, "before"),
        h("th", {}, "after"))),
      h("tbody", {}, diff.map((d) => h("tr", { class: `lls-${d.kind}`, "data-path": d.path },
        h("td", { class: "lls-sign" }, SIGNS[d.kind] || d.kind), h("td", {}, h("code", {}, d.path)),
        h("td", { class: "lls-old" }, d.kind === "added" ? "" : h("code", {}, d.old)),
        h("td", { class: "lls-new" }, d.kind === "removed" ? "" : h("code", {}, d.new))))));
  }

  let confirming = -1;  // the version whose rollback awaits a yes: kept across live redraws
  function drawPane() {
    const version = model.get("selected");
    if (version < 0) {
      pane.replaceChildren(h("div", { class: "lls-placeholder" }, "Select a version to see what it changed and the whole state then."));
      return;
    }
    const row = versionRow(version);
    const current = model.get("current");
    const base = model.get("base");
    const confirm = h("div", { class: "lls-confirm", hidden: confirming === version ? null : "", role: "alertdialog" },
      h("p", {}, h("b", {}, "Roll back? "), `The store becomes what it was at v${version}, as a new version `
        + `(v${current + 1}); every version stays in the history.`),
      h("button", { class: "lls-confirm-yes lls-danger", onclick: () => { confirming = -1; confirm.hidden = true; model.send({ action: "rollback", version }); } },
        `Roll back to v${version}`),
      h("button", { class: "lls-confirm-no", onclick: () => { confirming = -1; confirm.hidden = true; } }, "Cancel"));
    pane.replaceChildren(
      h("div", { class: "lls-pane-head" }, h("span", { class: "lls-vnum" }, `v${version}`),
        row ? h("span", {}, row.summary, row.time ? h("span", { class: "lls-dim" }, ` · ${row.time} · ${row.author}`) : null) : null,
        version === current ? h("span", { class: "lls-tag" }, "current")
          : h("button", { class: "lls-rollback", onclick: () => { message.textContent = ""; confirming = version; confirm.hidden = false; } },
            `Rollback to v${version}…`)),
      confirm,
      h("h4", {}, version === 0 ? "The empty store" : base >= 0 ? `Changes since v${base}` : "Changes"),
      version === 0 ? null : diffTable(model.get("diff")),
      h("h4", {}, `State at v${version}`),
      tree(model.get("snapshot")),
    );
  }

  function drawMessage() {
    const text = model.get("message");
    message.textContent = text;
    message.classList.toggle("lls-failed", text.startsWith("rollback failed"));
  }

  model.on("change:versions", () => { drawList(); drawPane(); });
  model.on("change:current", () => { drawList(); drawPane(); });
  model.on("change:selected", () => { confirming = -1; drawList(); drawPane(); });
  model.on("change:diff", drawPane);
  model.on("change:base", drawPane);
  model.on("change:snapshot", drawPane);
  model.on("change:message", drawMessage);
  drawList();
  drawPane();
  drawMessage();
}

export default { render };
