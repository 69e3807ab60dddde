import {
  CALL_CHANNEL_ID,
  CALL_CHANNEL_LABEL,
  type CallChannelMessage,
  encodeCallChannelMessage,
  parseCallChannelFrame,
} from './callChannelProtocol.js';
import { mark } from './testHook.js';

/** What CallChannel uses of an RTCDataChannel (a fake one in the unit tests). */
export interface DataChannelLike {
  readonly readyState: RTCDataChannelState;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'message', listener: (event: { data?: unknown }) => void): void;
}

export interface CallChannelHandlers {
  open(): void;
  message(message: CallChannelMessage): void;
  close(): void;
}

/** How long a closing channel may take to deliver what was sent before the connection closes anyway. */
export const CHANNEL_FLUSH_TIMEOUT_MS = 1_000;

/** The call's data channel, pre-negotiated (see callChannelProtocol.ts), created on `pc` before the offer. */
export function createCallDataChannel(pc: RTCPeerConnection): RTCDataChannel {
  return pc.createDataChannel(CALL_CHANNEL_LABEL, { negotiated: true, id: CALL_CHANNEL_ID, ordered: true });
}

/**
 * A call's data channel with typed messages: sends `CallChannelMessage`s, validates what arrives (see
 * parseCallChannelFrame) and hands on only valid messages; invalid ones are dropped (and marked for tests).
 */
export class CallChannel {
  readonly #channel: DataChannelLike;
  #handlers: CallChannelHandlers | undefined;

  constructor(channel: DataChannelLike) {
    this.#channel = channel;
    channel.addEventListener('open', () => {
      mark('channel:open');
      this.#handlers?.open();
    });
    channel.addEventListener('close', () => {
      mark('channel:close');
      this.#handlers?.close();
    });
    channel.addEventListener('message', (event) => {
      const parsed = parseCallChannelFrame(event.data);
      if (!parsed.ok) {
        mark(parsed.ignored === true ? 'channel:ignored' : 'channel:invalid');
        return;
      }
      mark(`channel:${parsed.message.type}-received`);
      this.#handlers?.message(parsed.message);
    });
  }

  /** Who hears the channel's events; set once by the call. */
  listen(handlers: CallChannelHandlers): void {
    this.#handlers = handlers;
  }

  get open(): boolean {
    return this.#channel.readyState === 'open';
  }

  /** Sends one message; false when the channel is not open (nothing was sent). */
  send(message: CallChannelMessage): boolean {
    if (!this.open) return false;
    try {
      this.#channel.send(encodeCallChannelMessage(message));
    } catch {
      return false; // closing meanwhile
    }
    mark(`channel:${message.type}-sent`);
    return true;
  }

  /**
   * Closes the channel after what was sent on it (a hang-up) has been delivered: the channel's closing
   * waits for its queued data, and resolves when the other side has closed it too, or after `timeoutMs`.
   */
  closeAfterFlush(timeoutMs = CHANNEL_FLUSH_TIMEOUT_MS): Promise<void> {
    const channel = this.#channel;
    if (channel.readyState !== 'open' && channel.readyState !== 'closing') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      channel.addEventListener('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (channel.readyState === 'open') channel.close();
    });
  }
}
