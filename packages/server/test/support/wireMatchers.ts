import type { WireMessage } from './WireClient.js';

/** Predicates for `WireClient.nextMatching`, named after what they wait for. */

export function isSessionEvent(status: string, callId?: string) {
  return (message: WireMessage): boolean =>
    message.type === 'event' &&
    message.topic === 'session' &&
    message.status === status &&
    (callId === undefined || message.callId === callId);
}

export function isExtensionEvent(status?: 'ready' | 'offline') {
  return (message: WireMessage): boolean =>
    message.type === 'event' &&
    message.topic === 'extension' &&
    (status === undefined || message.status === status);
}

export function isSignal(callId?: string) {
  return (message: WireMessage): boolean =>
    message.type === 'signal' && (callId === undefined || message.callId === callId);
}

export function isReplyTo(request: string) {
  return (message: WireMessage): boolean =>
    (message.type === 'response' || message.type === 'error') && message.request === request;
}
