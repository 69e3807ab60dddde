import { byId, el } from '../shared/el.js';
import { icon } from '../shared/icon.js';
import { initials } from '../shared/initials.js';
import {
  type DeskRow,
  type FrontDeskEffect,
  type FrontDeskEvent,
  FrontDeskModel,
  formatWhen,
  type RecentRow,
  type WorkKey,
} from './FrontDeskModel.js';
import { fetchFrontDesk, postDone } from './frontDeskApi.js';
import type { AgentCredentials } from './Registration.js';

export interface FrontDeskOptions {
  extensionId: string;
  /** The credentials the console signed in with (memory only, see Registration); undefined when signed out. */
  credentials: () => AgentCredentials | undefined;
  extensionName: () => string;
  /** The tab title should be rendered again (see `titlePrefix`). */
  onTitle: () => void;
}

/**
 * The agent console's "Missed calls" (missed calls and callback requests, each with Done) and "Recent
 * calls" (issue 10, 2 and 3): carries out FrontDeskModel's effects (the HTTP API, the poll timer, a
 * desktop notification) and shows its lists. Everything a caller typed is set as text, never as markup.
 */
export class FrontDesk {
  readonly #options: FrontDeskOptions;
  readonly #model: FrontDeskModel;
  readonly #root = byId('front-desk');
  readonly #list = byId<HTMLUListElement>('missed-list');
  readonly #empty = byId('missed-empty');
  readonly #count = byId('missed-count');
  readonly #problem = byId('desk-problem');
  readonly #recentList = byId<HTMLUListElement>('recent-list');
  readonly #recentEmpty = byId('recent-empty');
  readonly #notifyButton = byId<HTMLButtonElement>('notify-button');
  readonly #rows = new Map<WorkKey, HTMLLIElement>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Where focus goes after its Done removed a row: the row that took its place. */
  #refocusAt: number | undefined;

  constructor(options: FrontDeskOptions) {
    this.#options = options;
    this.#model = new FrontDeskModel(options.extensionName);
  }

  /** The title's prefix while missed calls went unseen in a hidden tab: "(1) Missed call — ". */
  get titlePrefix(): string {
    return this.#model.titlePrefix;
  }

  /** Once, at page start. */
  install(): void {
    document.addEventListener('visibilitychange', () =>
      this.#dispatch({ type: 'visibility', hidden: document.visibilityState === 'hidden' }),
    );
    // Permission is asked only from this click (a user gesture), never by itself.
    this.#notifyButton.addEventListener('click', () => {
      if (typeof Notification !== 'function') return;
      Notification.requestPermission()
        .catch(() => undefined)
        .then(() => this.#renderNotifyButton());
    });
    this.#render();
  }

  /** `online`: whether the signalling connection is (see `connection`). */
  signedIn(online: boolean): void {
    this.#dispatch({ type: 'start', hidden: document.visibilityState === 'hidden', online });
  }

  /** The signalling connection's state changed: while the server is away, the lists are not fetched. */
  connection(online: boolean): void {
    this.#dispatch({ type: 'connection', online });
  }

  signedOut(): void {
    this.#dispatch({ type: 'stop' });
  }

  /** A call this console saw ended (answered, abandoned, timed out): a missed one should show at once. */
  callEnded(): void {
    this.#dispatch({ type: 'call-ended' });
  }

  #dispatch(event: FrontDeskEvent): void {
    for (const effect of this.#model.dispatch(event)) this.#carryOut(effect);
  }

  #carryOut(effect: FrontDeskEffect): void {
    const { extensionId } = this.#options;
    switch (effect.type) {
      case 'fetch': {
        const credentials = this.#options.credentials();
        if (credentials === undefined) return;
        void fetchFrontDesk(extensionId, credentials.password).then((result) =>
          this.#dispatch({ type: 'fetched', request: effect.request, result }),
        );
        return;
      }
      case 'schedule':
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.#dispatch({ type: 'poll' }), effect.delayMs);
        return;
      case 'cancel-schedule':
        clearTimeout(this.#timer);
        this.#timer = undefined;
        return;
      case 'post-done': {
        const credentials = this.#options.credentials();
        if (credentials === undefined) return;
        void postDone(extensionId, credentials.password, effect.kind, effect.id, credentials.name).then(
          (result) => this.#dispatch({ type: 'marked', key: effect.key, result }),
        );
        return;
      }
      case 'render':
        this.#render();
        return;
      case 'title':
        this.#options.onTitle();
        return;
      case 'notify':
        this.#notify(effect.title, effect.body);
        return;
    }
  }

  #notify(title: string, body: string): void {
    if (typeof Notification !== 'function' || Notification.permission !== 'granted') return;
    if (document.visibilityState !== 'hidden') return;
    try {
      const notification = new Notification(title, { body, tag: 'pbx-peers-missed' });
      notification.addEventListener('click', () => {
        window.focus();
        notification.close();
      });
    } catch {
      // Some browsers (Android Chrome) only show notifications from a service worker.
    }
  }

  #render(): void {
    const model = this.#model;
    const rows = model.rows;
    const now = new Date();
    this.#count.textContent = String(rows.length);
    this.#root.dataset.loaded = String(model.loaded);
    this.#empty.textContent = model.loaded ? 'No missed calls.' : 'Loading…';
    this.#empty.hidden = rows.length > 0;
    const problem = model.problem;
    this.#problem.replaceChildren(...(problem === undefined ? [] : [icon('alert'), problem]));
    this.#problem.hidden = problem === undefined;

    // Rows are kept by key: one that stays is never moved, so that focus on its Done button stays too.
    const wanted = new Set(rows.map((row) => row.key));
    for (const [key, item] of this.#rows) {
      if (wanted.has(key)) continue;
      item.remove();
      this.#rows.delete(key);
    }
    rows.forEach((row, index) => {
      let item = this.#rows.get(row.key);
      if (item === undefined) {
        item = this.#rowElement(row, now);
        this.#rows.set(row.key, item);
      }
      const at = this.#list.children[index];
      if (at !== item) this.#list.insertBefore(item, at ?? null);
    });
    this.#refocus();

    const recent = model.recent;
    this.#recentList.replaceChildren(...recent.map((row) => this.#recentElement(row, now)));
    this.#recentEmpty.hidden = recent.length > 0;
    this.#recentEmpty.textContent = model.loaded ? 'No answered calls yet.' : 'Loading…';
    this.#renderNotifyButton();
  }

  #renderNotifyButton(): void {
    this.#notifyButton.hidden =
      typeof Notification !== 'function' || Notification.permission !== 'default' || !this.#model.loaded;
  }

  /** After Done removed the focused row, focus goes to the row now in its place (or the list's title). */
  #refocus(): void {
    const index = this.#refocusAt;
    if (index === undefined) return;
    this.#refocusAt = undefined;
    if (document.activeElement !== document.body && document.activeElement !== null) return;
    const items = this.#list.querySelectorAll<HTMLButtonElement>('.desk-done');
    const next = items[Math.min(index, items.length - 1)];
    if (next !== undefined) next.focus();
    else byId('missed-title').focus();
  }

  #doneButton(row: DeskRow, label: string): HTMLButtonElement {
    const button = el(
      'button',
      { type: 'button', class: 'btn btn-ghost btn-small desk-done', 'aria-label': label },
      icon('check'),
      el('span', {}, 'Done'),
    );
    button.addEventListener('click', () => {
      const item = this.#rows.get(row.key);
      this.#refocusAt = item === undefined ? undefined : [...this.#list.children].indexOf(item);
      this.#dispatch({ type: 'mark-done', key: row.key });
    });
    return button;
  }

  #rowElement(row: DeskRow, now: Date): HTMLLIElement {
    const when = el('time', { datetime: row.at.toISOString() }, formatWhen(row.at, now));
    if (row.kind === 'call') {
      return el(
        'li',
        { class: 'queue-item desk-item', 'data-kind': 'call', 'data-key': row.key },
        el(
          'div',
          { class: `avatar${row.anonymous ? ' avatar-anonymous' : ''}`, 'aria-hidden': 'true' },
          initials(row.name),
        ),
        el(
          'div',
          { class: 'queue-main' },
          el('p', { class: 'queue-name' }, row.name),
          el('p', { class: 'queue-meta' }, when, ' · ', row.detail),
        ),
        this.#doneButton(row, `Done: missed call from ${row.name}`),
      );
    }
    const email = row.contact.includes('@');
    const href = email ? `mailto:${row.contact}` : `tel:${row.contact.replace(/[^+\d]/g, '')}`;
    return el(
      'li',
      { class: 'queue-item desk-item', 'data-kind': 'callback', 'data-key': row.key },
      el('div', { class: 'avatar desk-callback-avatar', 'aria-hidden': 'true' }, icon('message')),
      el(
        'div',
        { class: 'queue-main' },
        el('p', { class: 'queue-name desk-name' }, row.name),
        el('p', { class: 'desk-contact' }, el('a', { href, class: 'desk-contact-link' }, row.contact)),
        row.message === '' ? null : el('p', { class: 'desk-message' }, row.message),
        el('p', { class: 'queue-meta' }, when, ' · Asked to be called back'),
      ),
      this.#doneButton(row, `Done: call back ${row.name}`),
    );
  }

  #recentElement(row: RecentRow, now: Date): HTMLLIElement {
    return el(
      'li',
      { class: 'recent-item', 'data-outcome': row.outcome },
      el('span', { class: 'recent-name' }, row.name),
      el('span', { class: 'recent-detail' }, row.detail),
      el('time', { class: 'recent-time', datetime: row.at.toISOString() }, formatWhen(row.at, now)),
    );
  }
}
