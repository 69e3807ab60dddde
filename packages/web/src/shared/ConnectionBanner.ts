import type { ResumingState } from '@pbx-peers/client';
import { testHook } from './testHook.js';

const TEXT: Record<ResumingState, string> = {
  idle: 'Connecting…',
  connecting: 'Connecting…',
  online: 'Connected',
  reconnecting: 'Reconnecting…',
  // Not shown: a removed extension is the pages' own state, said by their status pill (one place).
  gone: 'This extension no longer exists.',
  closed: 'Disconnected.',
};

/** The strip at the top of a page telling the user about the connection to the server, when not online. */
export class ConnectionBanner {
  readonly #element: HTMLElement;
  readonly #text: HTMLElement;

  constructor(element: HTMLElement) {
    this.#element = element;
    this.#text = element.querySelector('.banner-text') ?? element;
  }

  show(state: ResumingState): void {
    testHook.connection = state;
    this.#element.dataset.state = state;
    this.#text.textContent = TEXT[state];
    // The first connection usually takes a few milliseconds: no point flashing "Connecting…". The banner
    // is about the connection coming back; a removed extension (`gone`) never will, and the pages' pill
    // and hint say so instead of a second, different message.
    this.#element.hidden =
      state === 'online' || state === 'connecting' || state === 'idle' || state === 'gone';
  }
}
