import { el } from '../shared/el.js';
import { icon } from '../shared/icon.js';
import type { AdminApi } from './adminApi.js';

/** One of the admin's pages, shown inside the signed-in shell's `<main>`. */
export interface AdminView {
  /** Builds the page into `container` and starts loading. */
  mount(container: HTMLElement): void;
  /** Stops timers and drops answers still on their way. */
  unmount(): void;
}

export interface AdminViewContext {
  api: AdminApi;
  /** Says something in the page's status line (role=status), e.g. "Caller URL copied." */
  announce(text: string): void;
}

/** An alert box with its icon; text set as text. */
export function alertBox(text: string, tone: 'danger' | 'warning' = 'danger', id?: string): HTMLElement {
  return el(
    'div',
    { class: 'alert', 'data-tone': tone, role: 'alert', id },
    icon('alert'),
    el('span', { class: 'alert-text' }, text),
  );
}

/** Focuses the element marked `data-focus="key"` inside `root`, if there is one. */
export function focusKey(root: ParentNode, key: string | undefined): void {
  if (key === undefined) return;
  for (const element of root.querySelectorAll<HTMLElement>('[data-focus]')) {
    if (element.dataset.focus === key) {
      element.focus();
      return;
    }
  }
}

/** The `<option>`s of an extension filter: every extension, then the ones named in the list. */
export function extensionOptions(
  extensions: readonly { id: string; name: string }[],
  selected: string,
): HTMLOptionElement[] {
  const options = [el('option', { value: '', selected: selected === '' }, 'All extensions')];
  const known = extensions.some((extension) => extension.id === selected);
  for (const extension of extensions) {
    options.push(
      el(
        'option',
        { value: extension.id, selected: extension.id === selected },
        `${extension.name} (${extension.id})`,
      ),
    );
  }
  // A removed extension still has history: a filter on it is kept.
  if (selected !== '' && !known) options.push(el('option', { value: selected, selected: true }, selected));
  return options;
}
