import type { ConnectionState } from './ReconnectingClient.js';
import { testHook } from './testHook.js';

const TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  online: 'Connected',
  reconnecting: 'Reconnecting…',
  gone: 'This extension no longer exists.',
};

/** The strip at the top of a page telling the user about the connection to the server, when not online. */
export class ConnectionBanner {
  readonly #element: HTMLElement;
  readonly #text: HTMLElement;

  constructor(element: HTMLElement) {
    this.#element = element;
    this.#text = element.querySelector('.banner-text') ?? element;
  }

  show(state: ConnectionState): void {
    testHook.connection = state;
    this.#element.dataset.state = state;
    this.#text.textContent = TEXT[state];
    // The first connection usually takes a few milliseconds: no point flashing "Connecting…".
    this.#element.hidden = state === 'online' || state === 'connecting';
  }
}
