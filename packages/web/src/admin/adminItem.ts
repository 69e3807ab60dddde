import { type Child, el } from '../shared/el.js';

/** What heads a row of an admin list. */
export interface AdminItemHead {
  /** The id of the name's heading, which labels the row. */
  nameId: string;
  name: string;
  /** The line under the name. */
  hint: Child[];
  /** The row's `data-*` attributes, which the page and the tests find it by. */
  data: Record<string, string>;
}

/** A row of an admin list (an extension, a callback request): `<li>`, its name and hint, then `body`. */
export function adminItem(head: AdminItemHead, ...body: Child[]): HTMLLIElement {
  return el(
    'li',
    { class: 'admin-item', ...head.data, 'aria-labelledby': head.nameId },
    el(
      'div',
      { class: 'admin-item-head' },
      el(
        'div',
        { class: 'admin-item-title' },
        el('h3', { class: 'admin-item-name', id: head.nameId }, head.name),
        el('p', { class: 'hint' }, ...head.hint),
      ),
    ),
    ...body,
  );
}
