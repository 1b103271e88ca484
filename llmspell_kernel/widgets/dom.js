// The helpers both views use: h(tag, {attr, onclick: fn}, ...children), and onPress for rows.
// Python puts this file before each view's module (`widgets.esm`), since each anywidget module loads alone.

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// A press on a row of `container` (one listener, for rows redrawn any time). It acts on pointerdown:
// a live view may redraw its rows between a press and its release, and a click whose press and
// release fall on different elements goes to their common parent, so the row would never hear it.
function onPress(container, selector, act) {
  container.addEventListener("pointerdown", (e) => {
    const row = e.button === 0 ? e.target.closest(selector) : null;
    if (row && container.contains(row)) act(row);
  });
}
