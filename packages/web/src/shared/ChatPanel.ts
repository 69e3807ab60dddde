import { ChatLog, chatProblemText } from './ChatLog.js';
import { CHAT_MAX_LENGTH } from './callChannelProtocol.js';
import { el } from './el.js';

export interface ChatPanelOptions {
  /** Who is on the other end, as the call view names them. */
  peerName: string;
  /** Sends one message over the call's data channel; false when it could not. */
  transmit(text: string): boolean;
  /** The panel opened or closed, or the unread count changed: the Chat button follows. */
  onChange(): void;
  /** Escape in the panel: it closes, and the focus goes back to the Chat button. */
  onEscape(): void;
}

let nextPanel = 1;

/**
 * The in-call chat: a log of the messages both ways and a one-line form (Enter sends). Every message is set
 * as text (never parsed as HTML). The log is a polite live region, so screen readers read new messages
 * while the panel is open; while it is closed, `announcer` says that one arrived.
 */
export class ChatPanel {
  readonly root: HTMLElement;
  /** A visually hidden live region for arrivals while the panel is closed; placed by the call view. */
  readonly announcer: HTMLElement;
  readonly #options: ChatPanelOptions;
  readonly #log = new ChatLog();
  readonly #list: HTMLOListElement;
  readonly #empty: HTMLElement;
  readonly #input: HTMLInputElement;
  readonly #problem: HTMLElement;
  readonly #hint: HTMLElement;

  constructor(options: ChatPanelOptions) {
    this.#options = options;
    const n = nextPanel++;
    const inputId = `chat-input-${n}`;
    const problemId = `chat-problem-${n}`;
    this.#list = el('ol', { class: 'chat-log', 'aria-label': 'Messages', 'aria-live': 'polite' });
    this.#empty = el(
      'p',
      { class: 'chat-empty' },
      `No messages yet. They go straight to ${options.peerName}.`,
    );
    this.#input = el('input', {
      id: inputId,
      type: 'text',
      class: 'chat-input',
      maxlength: String(CHAT_MAX_LENGTH),
      autocomplete: 'off',
      enterkeyhint: 'send',
      placeholder: 'Write a message…',
      'aria-describedby': problemId,
    });
    this.#problem = el('p', { class: 'chat-problem', id: problemId, role: 'alert', hidden: true });
    this.#hint = el('p', { class: 'chat-hint' });
    const form = el(
      'form',
      { class: 'chat-form', novalidate: true },
      el('label', { class: 'visually-hidden', for: inputId }, 'Message'),
      this.#input,
      el('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Send'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#send();
    });
    this.root = el(
      'section',
      { class: 'chat', id: `chat-${n}`, 'aria-label': `Chat with ${options.peerName}`, hidden: true },
      this.#list,
      this.#empty,
      form,
      this.#problem,
      this.#hint,
    );
    this.root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        options.onEscape();
      }
    });
    this.announcer = el('p', { class: 'visually-hidden', role: 'status' });
    this.#renderHint();
  }

  get open(): boolean {
    return this.#log.open;
  }

  get unread(): number {
    return this.#log.unread;
  }

  setOpen(open: boolean): void {
    this.#log.setOpen(open);
    this.root.hidden = !open;
    if (open) {
      this.#scrollToEnd();
      this.#input.focus();
    }
    this.#options.onChange();
  }

  /** Whether the data channel is open (messages can be sent). */
  setConnected(connected: boolean): void {
    this.#log.setConnected(connected);
    this.#renderHint();
  }

  /** A message from the other side (validated by the channel). */
  receive(text: string): void {
    const entry = this.#log.receive(text);
    this.#append(entry.from, entry.text);
    if (!this.#log.open) this.announcer.textContent = `New message from ${this.#options.peerName}`;
    this.#options.onChange();
  }

  #send(): void {
    const result = this.#log.send(this.#input.value, this.#options.transmit);
    if (!result.ok) {
      this.#problem.textContent = chatProblemText(result.problem);
      this.#problem.hidden = false;
      return;
    }
    this.#problem.hidden = true;
    this.#input.value = '';
    this.#append(result.entry.from, result.entry.text);
  }

  #append(from: 'you' | 'them', text: string): void {
    this.#list.append(
      el(
        'li',
        { class: 'chat-message', 'data-from': from },
        el('span', { class: 'chat-author' }, from === 'you' ? 'You' : this.#options.peerName),
        el('span', { class: 'chat-text' }, text),
      ),
    );
    // The log keeps what the model keeps.
    while (this.#list.childElementCount > this.#log.entries.length) this.#list.firstElementChild?.remove();
    this.#empty.hidden = true;
    this.#scrollToEnd();
  }

  #scrollToEnd(): void {
    this.#list.scrollTop = this.#list.scrollHeight;
  }

  #renderHint(): void {
    this.#hint.textContent = this.#log.connected ? '' : 'The chat connects with the call…';
    this.#hint.hidden = this.#log.connected;
  }
}
