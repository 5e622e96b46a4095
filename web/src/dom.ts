/**
 * The few DOM helpers every view needs. Views build their own markup inside a
 * host element handed to them, so index.html stays a thin layout shell and no
 * view depends on another view's elements.
 * @module
 */

/** Creates an element with a class name, optional test id and optional text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  options: { testId?: string; text?: string; label?: string } = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (options.testId) node.dataset['testid'] = options.testId;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.label) node.setAttribute('aria-label', options.label);
  return node;
}

/** The element with this id; a missing host is a broken index.html, so it throws at start-up. */
export function requireElement<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`index.html: #${id} is missing or not a ${type.name}`);
  return node;
}

/** Sets text only when it changed: most updates repeat most values, and each write costs a style recalc. */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}
