import { parseSignal, type SignalData } from './signalData.js';

/**
 * The protocol of a call's data channel: one RTCDataChannel between the two browsers of every call (both
 * sides create it, pre-negotiated, with the same label and id, so it is part of the first offer and opens
 * with the media). It carries what the call needs even when the server cannot be reached: the hang-up,
 * each side's microphone and camera state, a text chat, and signals for an ICE restart.
 *
 * Every message is one JSON object in one text message, keyed on `type`:
 *
 *   {"type":"hangup"}                                    the sender hung up (it also sends `end` to the
 *                                                        server when it can)
 *   {"type":"media","muted":true,"camera":"off"}         the sender's microphone and camera, sent when the
 *                                                        channel opens and on every change; `camera` is
 *                                                        "on", "off" (turned off) or "none" (no camera)
 *   {"type":"chat","text":"Hello"}                       one chat message: plain text, 1 to
 *                                                        CHAT_MAX_LENGTH characters (code points) once
 *                                                        trimmed; never interpreted as markup
 *   {"type":"signal","data":{"sdp":{...}}}               a signal (the shapes of signalData.ts) sent over
 *                                                        the channel as well as through the server, so
 *                                                        that an ICE restart works with the server away
 *
 * What arrives comes from another browser: it is parsed as `unknown` and validated here. A frame that is
 * not text, is larger than FRAME_MAX_CHARS, is not JSON, or is a known type with a missing or mistyped
 * field is dropped; an unknown `type` is ignored, so that later versions can add messages; unknown fields
 * are ignored.
 */
export const CALL_CHANNEL_LABEL = 'pbx-peers-call';
/** The pre-negotiated stream id (`negotiated: true`): both sides create the channel themselves. */
export const CALL_CHANNEL_ID = 0;
/** The longest chat message, in characters (Unicode code points). */
export const CHAT_MAX_LENGTH = 500;
/** The largest frame accepted, in UTF-16 code units: an SDP offer with its candidates is a few thousand. */
export const FRAME_MAX_CHARS = 64 * 1024;

export type CameraState = 'on' | 'off' | 'none';

export interface MediaStateMessage {
  type: 'media';
  muted: boolean;
  camera: CameraState;
}

export type CallChannelMessage =
  | { type: 'hangup' }
  | MediaStateMessage
  | { type: 'chat'; text: string }
  | { type: 'signal'; data: SignalData };

export type CallChannelMessageType = CallChannelMessage['type'];

export type CallChannelParse =
  | { ok: true; message: CallChannelMessage }
  /** `ignored`: a well-formed message of a type this version does not know. */
  | { ok: false; reason: string; ignored?: true };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCameraState(value: unknown): value is CameraState {
  return value === 'on' || value === 'off' || value === 'none';
}

/**
 * A chat message's text as it is sent and shown: trimmed, 1 to CHAT_MAX_LENGTH code points; `undefined`
 * when empty or too long.
 */
export function chatText(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let length = 0;
  for (const _ of trimmed) if (++length > CHAT_MAX_LENGTH) return undefined;
  return trimmed;
}

/** Validates one decoded message (any JSON value, or anything else) from the other browser. */
export function parseCallChannelMessage(value: unknown): CallChannelParse {
  if (!isRecord(value)) return { ok: false, reason: 'not an object' };
  const type = value.type;
  if (typeof type !== 'string') return { ok: false, reason: 'no type' };
  switch (type) {
    case 'hangup':
      return { ok: true, message: { type } };
    case 'media':
      if (typeof value.muted !== 'boolean') return { ok: false, reason: 'media: muted is not a boolean' };
      if (!isCameraState(value.camera)) return { ok: false, reason: 'media: camera is not on, off or none' };
      return { ok: true, message: { type, muted: value.muted, camera: value.camera } };
    case 'chat': {
      if (typeof value.text !== 'string') return { ok: false, reason: 'chat: text is not a string' };
      const text = chatText(value.text);
      if (text === undefined) return { ok: false, reason: 'chat: text is empty or too long' };
      return { ok: true, message: { type, text } };
    }
    case 'signal': {
      const data = parseSignal(value.data);
      if (data === undefined) return { ok: false, reason: 'signal: not a known signal' };
      return { ok: true, message: { type, data } };
    }
    default:
      return { ok: false, reason: `unknown type ${JSON.stringify(type.slice(0, 40))}`, ignored: true };
  }
}

/** Decodes and validates one data channel frame (`MessageEvent.data`: a string, or binary). */
export function parseCallChannelFrame(frame: unknown): CallChannelParse {
  if (typeof frame !== 'string') return { ok: false, reason: 'not a text frame' };
  if (frame.length > FRAME_MAX_CHARS) return { ok: false, reason: 'frame too large' };
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  return parseCallChannelMessage(value);
}

export function encodeCallChannelMessage(message: CallChannelMessage): string {
  return JSON.stringify(message);
}
