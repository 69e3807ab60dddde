import { el } from '../shared/el.js';
import { type AdminView, type AdminViewContext, alertBox, extensionOptions, focusKey } from './AdminView.js';
import type { CallbackRow } from './adminData.js';
import { adminItem } from './adminItem.js';
import {
  type CallbacksFilter,
  callbacksApiQuery,
  callbacksFilterOf,
  callbacksPageSearch,
  contactHref,
  formatDateTime,
  problemText,
} from './adminModel.js';
import { FilteredRows } from './FilteredRows.js';

/** Callback requests: the ones callers left (open ones by default), each with Mark done. */
export class CallbacksPage implements AdminView {
  readonly #context: AdminViewContext;
  #root: HTMLElement | undefined;
  #filter: CallbacksFilter = { extension: '', open: true };
  readonly #list: FilteredRows<CallbackRow>;
  /** Marks on their way, by `extensionId/id`, and the last one's failure. */
  readonly #marking = new Set<string>();
  #markProblem: string | undefined;

  constructor(context: AdminViewContext) {
    this.#context = context;
    this.#list = new FilteredRows({
      extensions: () => context.api.extensions(),
      rows: () => context.api.callbacks(callbacksApiQuery(this.#filter)),
      extensionsLoaded: () => {
        this.#root
          ?.querySelector<HTMLSelectElement>('#callbacks-extension')
          ?.replaceChildren(...extensionOptions(this.#list.extensions, this.#filter.extension));
        // The rows name their extensions.
        this.#renderResults();
      },
      rowsLoaded: (focus) => this.#renderResults(focus),
    });
  }

  mount(container: HTMLElement): void {
    this.#filter = callbacksFilterOf(location.search);
    this.#root = el('div', { class: 'admin-page stack' });
    container.replaceChildren(this.#root);
    this.#root.append(this.#form(), el('div', { id: 'callbacks-results', class: 'stack' }));
    this.#renderResults();
    this.#list.start();
  }

  unmount(): void {
    this.#root = undefined;
    this.#list.stop();
  }

  #form(): HTMLElement {
    const extension = el(
      'select',
      { id: 'callbacks-extension', name: 'extension' },
      ...extensionOptions(this.#list.extensions, this.#filter.extension),
    );
    const open = el('input', { id: 'callbacks-open', type: 'checkbox', name: 'open' });
    open.checked = this.#filter.open;
    const form = el(
      'form',
      { class: 'admin-filters', novalidate: true, 'aria-label': 'Filter callback requests' },
      el('div', { class: 'field' }, el('label', { for: 'callbacks-extension' }, 'Extension'), extension),
      el(
        'div',
        { class: 'admin-check admin-check-alone' },
        open,
        el('label', { for: 'callbacks-open' }, 'Only those not done yet'),
      ),
      el(
        'div',
        { class: 'admin-filter-actions' },
        el('button', { class: 'btn btn-primary btn-small', type: 'submit' }, 'Show requests'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#filter = { extension: extension.value, open: open.checked };
      history.replaceState(null, '', `${location.pathname}${callbacksPageSearch(this.#filter)}`);
      this.#list.rows = undefined;
      this.#renderResults();
      void this.#list.load();
    });
    return form;
  }

  #renderResults(focus?: string): void {
    const results = this.#root?.querySelector<HTMLElement>('#callbacks-results');
    if (results === undefined || results === null) return;
    const parts: HTMLElement[] = [];
    const { rows, problem } = this.#list;
    const caption =
      rows === undefined
        ? problem === undefined
          ? 'Loading…'
          : ''
        : rows.length === 0
          ? this.#filter.open
            ? 'No open callback requests.'
            : 'No callback requests.'
          : `${rows.length} ${rows.length === 1 ? 'request' : 'requests'}, newest first.`;
    parts.push(
      el(
        'p',
        { class: 'muted', id: 'callbacks-caption', role: 'status', tabindex: '-1', 'data-focus': 'caption' },
        caption,
      ),
    );
    if (this.#markProblem !== undefined) parts.push(alertBox(this.#markProblem));
    if (problem !== undefined) {
      const retry = el('button', { class: 'btn btn-ghost btn-small', type: 'button' }, 'Try again');
      retry.addEventListener('click', () => void this.#list.load());
      parts.push(alertBox(`The callback requests could not be loaded. ${problem}`), el('div', {}, retry));
    }
    if (rows !== undefined && rows.length > 0) {
      parts.push(
        el(
          'ul',
          { class: 'admin-list' },
          ...rows.map((row, index) => this.#row(row, rows[index + 1] ?? rows[index - 1])),
        ),
      );
    }
    results.replaceChildren(...parts);
    focusKey(results, focus);
  }

  #row(row: CallbackRow, neighbour: CallbackRow | undefined): HTMLElement {
    const key = `${row.extensionId}/${row.id}`;
    const nameId = `callback-${row.extensionId}-${row.id}`;
    const names = new Map(this.#list.extensions.map((extension) => [extension.id, extension.name]));
    const href = contactHref(row.contact);
    const contact =
      href === undefined
        ? el('span', {}, row.contact)
        : el('a', { href, class: 'desk-contact-link' }, row.contact);
    const item = adminItem(
      {
        nameId,
        name: row.name,
        hint: [`${names.get(row.extensionId) ?? row.extensionId} · ${formatDateTime(row.createdAt)}`],
        data: { 'data-callback-id': row.id },
      },
      el('p', { class: 'desk-contact' }, contact),
      row.message === '' ? null : el('p', { class: 'desk-message' }, row.message),
    );
    if (row.doneAt !== null) {
      const by = row.doneBy === null || row.doneBy === '' ? '' : ` by ${row.doneBy}`;
      item.append(el('p', { class: 'hint' }, `Done${by}, ${formatDateTime(row.doneAt)}.`));
      return item;
    }
    const marking = this.#marking.has(key);
    const button = el(
      'button',
      {
        class: 'btn btn-ghost btn-small',
        type: 'button',
        disabled: marking,
        'aria-label': `Mark done: ${row.name}`,
        'data-focus': `done:${key}`,
      },
      marking ? 'Marking…' : 'Mark done',
    );
    button.addEventListener('click', () => void this.#markDone(row, neighbour));
    item.append(el('div', { class: 'admin-actions' }, button));
    return item;
  }

  async #markDone(row: CallbackRow, neighbour: CallbackRow | undefined): Promise<void> {
    const key = `${row.extensionId}/${row.id}`;
    if (this.#marking.has(key)) return;
    this.#marking.add(key);
    this.#markProblem = undefined;
    this.#renderResults(`done:${key}`);
    const result = await this.#context.api.markCallbackDone(row.extensionId, row.id);
    this.#marking.delete(key);
    if (this.#root === undefined) return;
    if (!result.ok && result.problem === 'unauthorized') return;
    if (!result.ok && result.problem !== 'not-found') {
      this.#markProblem = `${row.name} could not be marked done. ${problemText(result.problem, result.message)}`;
      this.#renderResults(`done:${key}`);
      return;
    }
    this.#context.announce(`${row.name} marked done.`);
    // Focus goes on to the next request (or the one before), else to the caption.
    const next = neighbour === undefined ? 'caption' : `done:${neighbour.extensionId}/${neighbour.id}`;
    await this.#list.load(next);
  }
}
