import { CHAT_MAX_LENGTH, chatText } from './callChannelProtocol.js';

export interface ChatEntry {
  id: number;
  from: 'you' | 'them';
  text: string;
}

export type ChatSend =
  | { ok: true; entry: ChatEntry }
  | { ok: false; problem: 'empty' | 'too-long' | 'not-connected' };

/** The most messages kept (and shown); older ones go. */
export const CHAT_HISTORY_LIMIT = 200;

/**
 * One call's chat as a model: the messages both ways (newest last, at most CHAT_HISTORY_LIMIT), whether
 * messages can be sent (the data channel is open), and how many arrived while the panel was closed.
 */
export class ChatLog {
  readonly #entries: ChatEntry[] = [];
  #nextId = 1;
  #connected = false;
  #open = false;
  #unread = 0;

  get entries(): readonly ChatEntry[] {
    return this.#entries;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get open(): boolean {
    return this.#open;
  }

  get unread(): number {
    return this.#unread;
  }

  setConnected(connected: boolean): void {
    this.#connected = connected;
  }

  /** The panel was opened or closed; opening it reads everything. */
  setOpen(open: boolean): void {
    this.#open = open;
    if (open) this.#unread = 0;
  }

  /**
   * A message typed here: checked, handed to `transmit` (false when it could not be sent), and recorded
   * once sent.
   */
  send(text: string, transmit: (text: string) => boolean): ChatSend {
    if (text.trim() === '') return { ok: false, problem: 'empty' };
    const checked = chatText(text);
    if (checked === undefined) return { ok: false, problem: 'too-long' };
    if (!this.#connected || !transmit(checked)) return { ok: false, problem: 'not-connected' };
    return { ok: true, entry: this.#add('you', checked) };
  }

  /** A message from the other side, already validated (see parseCallChannelMessage). */
  receive(text: string): ChatEntry {
    if (!this.#open) this.#unread++;
    return this.#add('them', text);
  }

  #add(from: ChatEntry['from'], text: string): ChatEntry {
    const entry = { id: this.#nextId++, from, text };
    this.#entries.push(entry);
    if (this.#entries.length > CHAT_HISTORY_LIMIT) this.#entries.shift();
    return entry;
  }
}

export function chatProblemText(problem: 'empty' | 'too-long' | 'not-connected'): string {
  switch (problem) {
    case 'empty':
      return 'Type a message first.';
    case 'too-long':
      return `Messages can be at most ${CHAT_MAX_LENGTH} characters long.`;
    case 'not-connected':
      return 'The chat is not connected right now. Please try again in a moment.';
  }
}
