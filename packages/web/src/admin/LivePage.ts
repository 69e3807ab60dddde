import { el } from '../shared/el.js';
import { type AdminView, type AdminViewContext, alertBox } from './AdminView.js';
import type { ApiResult, LiveExtension } from './adminData.js';
import { problemText } from './adminModel.js';
import { type LiveCallLine, type LiveCard, LivePoller, liveCards } from './liveModel.js';

/** Durations count on between polls. */
const TICK_MS = 1_000;

/**
 * Live: per extension, the agents signed in and the calls ringing and connected with their durations,
 * cluster-wide. Polled every 2 s while shown (LivePoller); the durations tick every second between.
 */
export class LivePage implements AdminView {
  readonly #poller: LivePoller;
  #root: HTMLElement | undefined;
  #data: { extensions: LiveExtension[]; at: number } | undefined;
  #problem: string | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;

  constructor(context: AdminViewContext) {
    this.#poller = new LivePoller(
      () => context.api.live(),
      (result, at) => this.#answered(result, at),
    );
  }

  mount(container: HTMLElement): void {
    this.#root = el('div', { class: 'admin-page stack' });
    container.replaceChildren(this.#root);
    this.#render();
    this.#poller.start();
    this.#tick = setInterval(() => this.#render(), TICK_MS);
  }

  unmount(): void {
    this.#poller.stop();
    clearInterval(this.#tick);
    this.#tick = undefined;
    this.#root = undefined;
  }

  #answered(result: ApiResult<LiveExtension[]>, at: number): void {
    if (result.ok) {
      this.#data = { extensions: result.value, at };
      this.#problem = undefined;
    } else if (result.problem !== 'unauthorized') {
      this.#problem = problemText(result.problem, result.message);
    }
    this.#render();
  }

  #render(): void {
    const root = this.#root;
    if (root === undefined) return;
    const parts: HTMLElement[] = [
      el('p', { class: 'muted' }, 'Updated every 2 seconds, across every server of a cluster.'),
    ];
    if (this.#problem !== undefined) {
      parts.push(alertBox(`The live view is not updating. ${this.#problem} Trying again…`, 'warning'));
    }
    if (this.#data === undefined) {
      if (this.#problem === undefined) parts.push(el('p', { class: 'muted' }, 'Loading…'));
    } else {
      const cards = liveCards(this.#data.extensions, this.#data.at, Date.now());
      parts.push(
        cards.length === 0
          ? el('div', { class: 'empty' }, el('p', {}, 'No extensions yet.'))
          : el('div', { class: 'live-grid' }, ...cards.map((card) => this.#card(card))),
      );
    }
    root.replaceChildren(...parts);
  }

  #card(card: LiveCard): HTMLElement {
    const titleId = `live-${card.id}`;
    return el(
      'section',
      { class: 'live-card', 'aria-labelledby': titleId, 'data-extension-id': card.id },
      el(
        'div',
        { class: 'live-head' },
        el('h2', { class: 'admin-item-name', id: titleId }, card.name),
        el('p', { class: 'pill', 'data-state': card.state }, card.state === 'ready' ? 'Ready' : 'Offline'),
      ),
      el('p', { class: 'hint live-summary' }, card.summary),
      this.#group(
        'Agents',
        'live-agents',
        card.agents.map((name) => el('li', { class: 'live-line' }, el('span', { class: 'live-who' }, name))),
        'No agent signed in.',
      ),
      this.#group(
        'Ringing',
        'live-ringing',
        card.ringing.map((line) => this.#call(line, 'Ringing for')),
        'None.',
      ),
      this.#group(
        'Connected',
        'live-connected',
        card.connected.map((line) => this.#call(line, 'Connected for')),
        'None.',
      ),
    );
  }

  #group(title: string, className: string, items: HTMLElement[], empty: string): HTMLElement {
    return el(
      'div',
      { class: `live-group ${className}` },
      el('h3', { class: 'live-group-title' }, title),
      items.length === 0 ? el('p', { class: 'hint' }, empty) : el('ul', { class: 'live-list' }, ...items),
    );
  }

  #call(line: LiveCallLine, label: string): HTMLElement {
    return el(
      'li',
      { class: 'live-line', 'data-call-id': line.callId },
      el('span', { class: 'live-who' }, line.who),
      el(
        'span',
        { class: 'live-duration tabular' },
        el('span', { class: 'visually-hidden' }, `${label} `),
        line.duration,
      ),
    );
  }
}
