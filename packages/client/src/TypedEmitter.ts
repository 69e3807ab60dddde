/**
 * A minimal event emitter typed by an event map (event name -> payload type). Written here rather than
 * taken from `node:events` so that browsers and Node behave identically and bundles stay small.
 */

type Listener<Payload> = (payload: Payload) => void;

interface Registration<Payload> {
  listener: Listener<Payload>;
  once: boolean;
}

export class TypedEmitter<Events extends object> {
  readonly #registrations: { [K in keyof Events]?: Registration<Events[K]>[] } = {};

  /** Calls `listener` for every `event`. Returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    return this.#add(event, { listener, once: false });
  }

  /** Calls `listener` for the next `event` only. Returns a function that removes it before then. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    return this.#add(event, { listener, once: true });
  }

  /** Removes one registration of `listener` for `event`, if there is one. */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    const registrations = this.#registrations[event];
    const index = registrations?.findIndex((registration) => registration.listener === listener) ?? -1;
    if (index >= 0) registrations?.splice(index, 1);
  }

  /**
   * Calls the listeners registered now, in registration order. A listener that throws does not stop the
   * others nor the emitter's caller (which is mid-way through handling a frame): its exception is
   * rethrown on a fresh microtask, where it surfaces like any uncaught error.
   */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const registrations = this.#registrations[event];
    if (registrations === undefined) return;
    for (const registration of [...registrations]) {
      if (registration.once) this.#remove(event, registration);
      try {
        registration.listener(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #add<K extends keyof Events>(event: K, registration: Registration<Events[K]>): () => void {
    const registrations = this.#registrations[event] ?? [];
    registrations.push(registration);
    this.#registrations[event] = registrations;
    return () => this.#remove(event, registration);
  }

  #remove<K extends keyof Events>(event: K, registration: Registration<Events[K]>): void {
    const registrations = this.#registrations[event];
    const index = registrations?.indexOf(registration) ?? -1;
    if (index >= 0) registrations?.splice(index, 1);
  }
}
