// Small DOM helpers. Text is only ever set with textContent.

/**
 * Returns the element with the given id, or throws when the page lacks it.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}

/**
 * Creates an element with a class list, optional text and children.
 * @param {string} tag
 * @param {string} [className] space-separated classes
 * @param {string|null} [text] set with textContent
 * @param {Array<Node|null|undefined|false>} [children]
 * @returns {HTMLElement}
 */
export function el(tag, className, text, children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  if (children) {
    for (const c of children) if (c) node.append(c);
  }
  return node;
}

/**
 * Shows or hides an element with the hidden attribute.
 * @param {HTMLElement} node
 * @param {boolean} visible
 */
export function show(node, visible) {
  node.hidden = !visible;
}

/**
 * Puts a space text node between the given nodes (dropping empty ones), so
 * that textContent and screen readers keep words apart.
 * @param {Array<Node|null|undefined|false>} nodes
 * @returns {Node[]}
 */
export function spaced(nodes) {
  /** @type {Node[]} */
  const out = [];
  for (const n of nodes) {
    if (!n) continue;
    if (out.length) out.push(document.createTextNode(' '));
    out.push(n);
  }
  return out;
}
