import type { EndedCall } from './EndedCall.js';
import type { CallRecord } from './SwitchboardBackend.js';

/**
 * Hears what happens to calls, for logs, metrics and the call history. Each event is reported by exactly
 * one process of a cluster: the one whose backend operation did it. Called synchronously on the call
 * path, so an implementation must return at once and never throw: slow work (a store write) runs
 * detached, and its failure is the observer's to report.
 */
export interface CallObserver {
  /** A call started ringing. */
  placed(call: CallRecord): void;
  /** An agent answered it; `call` has `answeredAt` (and `answererName` when the agent gave a name). */
  answered(call: CallRecord): void;
  /** It ended, in any way (see `CallOutcome`). */
  ended(call: EndedCall): void;
}

/** One observer that tells each of `observers`, in order. */
export function everyObserver(observers: readonly CallObserver[]): CallObserver {
  return {
    placed: (call) => {
      for (const observer of observers) observer.placed(call);
    },
    answered: (call) => {
      for (const observer of observers) observer.answered(call);
    },
    ended: (call) => {
      for (const observer of observers) observer.ended(call);
    },
  };
}
