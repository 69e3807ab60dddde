/** What `el` takes as a child: text (set as text), a node, or nothing (skipped). */
export type Child = Node | string | null | undefined | false;

/**
 * Creates an element with attributes and children. Text is always set as text (never parsed as HTML), so
 * untrusted strings such as a caller's name are safe to pass.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** The element with this id; throws when the page's markup lacks it (a build mistake, not a runtime case). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`The page has no element #${id}.`);
  return element as T;
}
