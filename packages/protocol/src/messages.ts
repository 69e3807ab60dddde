/**
 * The pbx-webrtc-peers wire protocol, version 1.1, as TypeScript types (section 8 lists what 1.1 adds:
 * agent names and resuming a dropped connection).
 * `docs/protocol.md` (the normative contract in our words) is the reference; every message is a member
 * of a union keyed on `type`, and every list of kinds is derived from these unions (see
 * `parseClientMessage.ts`).
 */

/** The WebSocket subprotocol the server selects when a client offers it. */
export const SUBPROTOCOL = 'pbx-webrtc-peers';

/** A client-chosen request id: a string of at most 64 characters or a safe integer. Echoed unchanged. */
export type RequestId = string | number;

/** Any JSON value, as carried by `signal.data`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

interface WithRequestId {
  id?: RequestId;
}

// ---------------------------------------------------------------- client to server

export interface InitRequest extends WithRequestId {
  type: 'init';
  /** 1.1: the `resumeToken` of a peer whose connection dropped, to become that peer again. */
  resume?: string;
}
export interface RegisterRequest extends WithRequestId {
  type: 'register';
  peerId: string;
  password: string;
  /** 1.1: the agent's display name, 1 to 64 characters; shown to the caller and the other agents. */
  name?: string;
}
export interface DeregisterRequest extends WithRequestId {
  type: 'deregister';
  peerId: string;
}
export interface StatusRequest extends WithRequestId {
  type: 'status';
  peerId: string;
}
export interface CallRequest extends WithRequestId {
  type: 'call';
  peerId: string;
  /** Shown to agents; 1 to 64 characters (Unicode code points). */
  name?: string;
}
export interface AnswerRequest extends WithRequestId {
  type: 'answer';
  peerId: string;
  callId: string;
}
export interface EndRequest extends WithRequestId {
  type: 'end';
  peerId: string;
  callId: string;
}

/** Messages that get exactly one `response` or one `error`. */
export type ClientRequest =
  | InitRequest
  | RegisterRequest
  | DeregisterRequest
  | StatusRequest
  | CallRequest
  | AnswerRequest
  | EndRequest;

/** A signal: relayed to the other party of a connected call; no response on success. */
export interface SignalRequest extends WithRequestId {
  type: 'signal';
  peerId: string;
  callId: string;
  data: JsonValue;
}

export type ClientMessage = ClientRequest | SignalRequest;
export type RequestType = ClientRequest['type'];
export type ClientMessageType = ClientMessage['type'];
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;

// ---------------------------------------------------------------- server to client

/** An extension is `ready` while at least one peer is registered to it, on any server process. */
export type ExtensionStatus = 'ready' | 'offline';
export type RegisterFailureReason = 'bad-password' | 'rate-limited';
export type DisconnectReason = 'hangup' | 'dropped' | 'timeout';

interface ResponseTo<R extends RequestType> {
  type: 'response';
  request: R;
  id?: RequestId;
}

export type InitResponse = ResponseTo<'init'> & {
  status: ExtensionStatus;
  peerId: string;
  /** 1.1: the secret that resumes this peer after a drop; absent when the server does not resume. */
  resumeToken?: string;
  /** 1.1: present when the `init` asked to resume; true when it is the same peer again. */
  resumed?: boolean;
};
export type RegisterResponse = ResponseTo<'register'> &
  ({ status: 'registered' } | { status: 'unregistered'; reason: RegisterFailureReason });
export type DeregisterResponse = ResponseTo<'deregister'> & { status: 'unregistered' };
export type StatusResponse = ResponseTo<'status'> & { status: ExtensionStatus };
export type CallResponse = ResponseTo<'call'> &
  ({ status: 'ringing'; callId: string } | { status: 'unavailable' });
export type AnswerResponse = ResponseTo<'answer'> & { status: 'connected' | 'unavailable'; callId: string };
export type EndResponse = ResponseTo<'end'> & { status: 'disconnected'; callId: string };

export type ServerResponse =
  | InitResponse
  | RegisterResponse
  | DeregisterResponse
  | StatusResponse
  | CallResponse
  | AnswerResponse
  | EndResponse;

/** The response to a request of type `R`. */
export type ResponseFor<R extends RequestType> = Extract<ServerResponse, { request: R }>;

export interface ExtensionEvent {
  type: 'event';
  topic: 'extension';
  status: ExtensionStatus;
}

export type SessionEvent = { type: 'event'; topic: 'session'; callId: string } & (
  | { status: 'ringing'; name?: string }
  /** 1.1: `name`, the answering agent's, when it gave one. */
  | { status: 'connected'; name?: string }
  /** 1.1: `name`, the winning agent's, when it gave one. */
  | { status: 'claimed'; name?: string }
  | { status: 'abandoned' }
  | { status: 'disconnected'; reason: DisconnectReason }
);
export type SessionStatus = SessionEvent['status'];

export type ServerEvent = ExtensionEvent | SessionEvent;

export interface SignalDelivery {
  type: 'signal';
  callId: string;
  data: JsonValue;
}

export type ErrorCode =
  | 'bad-json'
  | 'bad-request'
  | 'not-initialized'
  | 'bad-peer-id'
  | 'forbidden'
  | 'busy'
  | 'unknown-call'
  | 'rate-limited';

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  /** Human text; not for programs to match on. */
  message: string;
  /** The type of the message that failed, when it was recognised. */
  request?: ClientMessageType;
  /** The failed message's `id`, when it had a valid one. */
  id?: RequestId;
}

export type ServerMessage = ServerResponse | ServerEvent | SignalDelivery | ErrorMessage;
export type ServerMessageType = ServerMessage['type'];

/** What an error can say about the message it answers. */
export interface ErrorContext {
  request?: ClientMessageType | undefined;
  id?: RequestId | undefined;
}

/** Builds an error message, omitting `request` and `id` when unknown (the protocol requires omission). */
export function protocolError(code: ErrorCode, message: string, context: ErrorContext = {}): ErrorMessage {
  const error: ErrorMessage = { type: 'error', code, message };
  if (context.request !== undefined) error.request = context.request;
  if (context.id !== undefined) error.id = context.id;
  return error;
}
