/**
 * Browser notifications for incoming calls while the console's tab is hidden. Permission is asked from the
 * Sign in click (browsers only allow it from a user gesture); without it, nothing is shown.
 */
export class CallNotifier {
  readonly #open = new Map<string, Notification>();

  get supported(): boolean {
    return typeof Notification === 'function';
  }

  requestPermission(): void {
    if (!this.supported || Notification.permission !== 'default') return;
    Notification.requestPermission().catch(() => undefined);
  }

  notify(callId: string, callerName: string, extensionName: string): void {
    if (!this.supported || Notification.permission !== 'granted' || !document.hidden) return;
    try {
      const notification = new Notification(`${callerName} is calling`, {
        body: `Incoming call for ${extensionName}. Click to open the console.`,
        tag: `pbx-peers-call-${callId}`,
      });
      notification.addEventListener('click', () => {
        window.focus();
        notification.close();
      });
      this.#open.set(callId, notification);
    } catch {
      // Some browsers (Android Chrome) only show notifications from a service worker.
    }
  }

  /** The call was answered or abandoned: its notification goes. */
  dismiss(callId: string): void {
    this.#open.get(callId)?.close();
    this.#open.delete(callId);
  }

  dismissAll(): void {
    for (const notification of this.#open.values()) notification.close();
    this.#open.clear();
  }
}
