import { el } from '../shared/el.js';
import { type AdminView, type AdminViewContext, alertBox, extensionOptions } from './AdminView.js';
import { callsCsvUrl } from './adminApi.js';
import { type CallRow, OUTCOMES, type Outcome } from './adminData.js';
import {
  CALLS_LIMIT,
  type CallsFilter,
  callsApiQuery,
  callsFilterOf,
  callsPageSearch,
  formatDateTime,
  formatSeconds,
  OUTCOME_LABELS,
  partyName,
} from './adminModel.js';
import { FilteredRows } from './FilteredRows.js';

/**
 * Calls: the call history with filters (extension, since a day, outcomes) kept in the page's URL, a
 * table, newest first, and a link to the same filters as CSV.
 */
export class CallsPage implements AdminView {
  #root: HTMLElement | undefined;
  #filter: CallsFilter = { extension: '', since: '', outcomes: [] };
  readonly #list: FilteredRows<CallRow>;

  constructor(context: AdminViewContext) {
    this.#list = new FilteredRows({
      extensions: () => context.api.extensions(),
      rows: () => context.api.calls(callsApiQuery(this.#filter, CALLS_LIMIT)),
      extensionsLoaded: () => {
        this.#root
          ?.querySelector<HTMLSelectElement>('#calls-extension')
          ?.replaceChildren(...extensionOptions(this.#list.extensions, this.#filter.extension));
        // The rows name their extensions.
        this.#renderResults();
      },
      rowsLoaded: () => this.#renderResults(),
    });
  }

  mount(container: HTMLElement): void {
    this.#filter = callsFilterOf(location.search);
    this.#root = el('div', { class: 'admin-page stack' });
    container.replaceChildren(this.#root);
    this.#render();
    this.#list.start();
  }

  unmount(): void {
    this.#root = undefined;
    this.#list.stop();
  }

  /** Every load of this page starts from "Loading…". */
  #load(): void {
    this.#list.rows = undefined;
    this.#list.problem = undefined;
    this.#renderResults();
    void this.#list.load();
  }

  #render(): void {
    const root = this.#root;
    if (root === undefined) return;
    root.replaceChildren(this.#form(), el('div', { id: 'calls-results', class: 'stack' }));
    this.#renderResults();
  }

  #form(): HTMLElement {
    const extension = el(
      'select',
      { id: 'calls-extension', name: 'extension' },
      ...extensionOptions(this.#list.extensions, this.#filter.extension),
    );
    const since = el('input', {
      id: 'calls-since',
      name: 'since',
      type: 'date',
      'aria-describedby': 'calls-since-hint',
    });
    since.value = this.#filter.since;
    const boxes = OUTCOMES.map((outcome) => {
      const id = `calls-outcome-${outcome}`;
      const box = el('input', { id, type: 'checkbox', name: 'outcome', value: outcome });
      box.checked = this.#filter.outcomes.length === 0 || this.#filter.outcomes.includes(outcome);
      return el('div', { class: 'admin-check' }, box, el('label', { for: id }, OUTCOME_LABELS[outcome]));
    });
    const form = el(
      'form',
      { class: 'admin-filters', novalidate: true, 'aria-label': 'Filter calls' },
      el('div', { class: 'field' }, el('label', { for: 'calls-extension' }, 'Extension'), extension),
      el(
        'div',
        { class: 'field' },
        el('label', { for: 'calls-since' }, 'Since'),
        since,
        el('p', { class: 'hint', id: 'calls-since-hint' }, 'Calls from the start of that day. Empty: all.'),
      ),
      el(
        'fieldset',
        { class: 'admin-fieldset' },
        el('legend', {}, 'Outcome'),
        el('div', { class: 'admin-checks' }, ...boxes),
      ),
      el(
        'div',
        { class: 'admin-filter-actions' },
        el('button', { class: 'btn btn-primary btn-small', type: 'submit' }, 'Show calls'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      let outcomes = OUTCOMES.filter(
        (outcome) => form.querySelector<HTMLInputElement>(`#calls-outcome-${outcome}`)?.checked === true,
      );
      // None ticked filters nothing out: all are ticked again, as the filter then reads.
      if (outcomes.length === 0) {
        for (const box of form.querySelectorAll<HTMLInputElement>('input[name="outcome"]'))
          box.checked = true;
        outcomes = [...OUTCOMES];
      }
      this.#filter = {
        extension: extension.value,
        since: since.value,
        outcomes: outcomes.length === OUTCOMES.length ? [] : (outcomes as Outcome[]),
      };
      history.replaceState(null, '', `${location.pathname}${callsPageSearch(this.#filter)}`);
      this.#load();
    });
    return form;
  }

  #renderResults(): void {
    const results = this.#root?.querySelector<HTMLElement>('#calls-results');
    if (results === undefined || results === null) return;
    const csv = el(
      'a',
      {
        class: 'btn btn-ghost btn-small admin-csv',
        id: 'calls-csv',
        href: callsCsvUrl(callsApiQuery(this.#filter, undefined)),
        download: 'calls.csv',
      },
      'Download CSV',
    );
    const head = el(
      'div',
      { class: 'admin-results-head' },
      el('p', { class: 'muted', id: 'calls-caption', role: 'status' }, this.#caption()),
      csv,
    );
    const { rows: calls, problem } = this.#list;
    if (problem !== undefined) {
      const retry = el('button', { class: 'btn btn-ghost btn-small', type: 'button' }, 'Try again');
      retry.addEventListener('click', () => this.#load());
      results.replaceChildren(
        head,
        alertBox(`The calls could not be loaded. ${problem}`),
        el('div', {}, retry),
      );
      return;
    }
    if (calls === undefined || calls.length === 0) {
      results.replaceChildren(head);
      return;
    }
    const names = new Map(this.#list.extensions.map((extension) => [extension.id, extension.name]));
    const header = ['When', 'Extension', 'Caller', 'Agent', 'Outcome', 'Rang', 'Talked'];
    const table = el(
      'table',
      { class: 'admin-table', 'aria-describedby': 'calls-caption' },
      el('thead', {}, el('tr', {}, ...header.map((text) => el('th', { scope: 'col' }, text)))),
      el(
        'tbody',
        {},
        ...calls.map((call) =>
          el(
            'tr',
            { 'data-call-id': call.callId, 'data-outcome': call.outcome },
            el('td', { class: 'admin-nowrap' }, formatDateTime(call.ringingAt)),
            el('td', {}, names.get(call.extensionId) ?? call.extensionId),
            el('td', {}, partyName(call.callerName, 'caller')),
            el(
              'td',
              {},
              call.answeredAt === null && call.agentName === null ? '—' : partyName(call.agentName, 'agent'),
            ),
            el('td', {}, OUTCOME_LABELS[call.outcome]),
            el('td', { class: 'tabular' }, formatSeconds(call.ringSeconds)),
            el('td', { class: 'tabular' }, formatSeconds(call.talkSeconds)),
          ),
        ),
      ),
    );
    const scroller = el(
      'div',
      { class: 'admin-table-scroll', role: 'region', 'aria-label': 'Calls', tabindex: '0' },
      table,
    );
    results.replaceChildren(head, scroller);
  }

  #caption(): string {
    const { rows: calls, problem } = this.#list;
    if (problem !== undefined) return '';
    if (calls === undefined) return 'Loading…';
    const n = calls.length;
    if (n === 0) return 'No calls match these filters.';
    const more = n >= CALLS_LIMIT ? ` (the newest ${CALLS_LIMIT}; the CSV has them all)` : '';
    return `${n} ${n === 1 ? 'call' : 'calls'}, newest first${more}.`;
  }
}
