import { byId } from '../shared/el.js';
import { icon } from '../shared/icon.js';
import { showView } from '../shared/showView.js';
import {
  CALLBACK_FIELDS,
  type CallbackEffect,
  type CallbackEvent,
  type CallbackField,
  type CallbackFields,
  CallbackFlow,
  type CallbackSendResult,
  callbackSendResult,
} from './callbackRequest.js';

const REQUEST_TIMEOUT_MS = 10_000;

/** `POST /api/extensions/:id/callbacks` (public). Never rejects. */
export async function sendCallbackRequest(
  extensionId: string,
  request: CallbackFields,
): Promise<CallbackSendResult> {
  try {
    const response = await fetch(`/api/extensions/${encodeURIComponent(extensionId)}/callbacks`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body: unknown = response.status === 400 ? await response.json().catch(() => undefined) : undefined;
    return callbackSendResult(response.status, body);
  } catch {
    return { kind: 'failed' };
  }
}

export interface CallbackFormOptions {
  extensionId: string;
  root: HTMLElement;
  /** What the caller typed as their name on the start view, to fill the form's name with. */
  callerName: () => string;
  extensionName: () => string;
  /** Back: the caller page shows its start view again. */
  onBack: () => void;
}

/** The caller page's "Leave your number" form and its confirmation: a thin view of CallbackFlow. */
export class CallbackForm {
  readonly #options: CallbackFormOptions;
  readonly #flow = new CallbackFlow();
  readonly #form = byId<HTMLFormElement>('view-callback');
  readonly #inputs: Record<CallbackField, HTMLInputElement | HTMLTextAreaElement> = {
    name: byId<HTMLInputElement>('callback-name'),
    contact: byId<HTMLInputElement>('callback-contact'),
    message: byId<HTMLTextAreaElement>('callback-message'),
  };
  readonly #send = byId<HTMLButtonElement>('callback-send');
  readonly #problem = byId('callback-error');

  constructor(options: CallbackFormOptions) {
    this.#options = options;
  }

  get open(): boolean {
    return this.#flow.state.kind !== 'closed';
  }

  install(): void {
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#dispatch({
        type: 'submit',
        fields: {
          name: this.#inputs.name.value,
          contact: this.#inputs.contact.value,
          message: this.#inputs.message.value,
        },
      });
    });
    const back = () => {
      this.#dispatch({ type: 'close' });
      this.#options.onBack();
    };
    for (const field of CALLBACK_FIELDS) {
      this.#inputs[field].addEventListener('input', () => this.#dispatch({ type: 'edit', field }));
    }
    byId('callback-back').addEventListener('click', back);
    byId('callback-done').addEventListener('click', back);
  }

  /** "Leave your number" was pressed. */
  show(): void {
    if (this.#flow.state.kind === 'sent') this.#dispatch({ type: 'close' });
    if (this.#inputs.name.value === '') this.#inputs.name.value = this.#options.callerName();
    this.#dispatch({ type: 'open' });
  }

  #dispatch(event: CallbackEvent): void {
    const effects = this.#flow.dispatch(event);
    this.#render();
    for (const effect of effects) this.#carryOut(effect);
  }

  #carryOut(effect: CallbackEffect): void {
    switch (effect.type) {
      case 'send':
        void sendCallbackRequest(this.#options.extensionId, effect.request).then((result) =>
          this.#dispatch({ type: 'answered', attempt: effect.attempt, result }),
        );
        return;
      case 'focus':
        if (effect.field === 'title') byId('callback-sent-title').focus();
        else this.#inputs[effect.field].focus();
        return;
    }
  }

  #render(): void {
    const state = this.#flow.state;
    const { root } = this.#options;
    if (state.kind === 'closed') return;
    if (state.kind === 'sent') {
      const { name, contact } = state.request;
      byId('callback-sent-detail').textContent =
        `Thank you, ${name}. Someone from ${this.#options.extensionName()} will contact you at ${contact}.`;
      showView(root, 'callback-sent');
      return;
    }
    showView(root, 'callback');
    const sending = state.kind === 'sending';
    const errors = state.kind === 'editing' ? state.errors : {};
    for (const field of CALLBACK_FIELDS) {
      const input = this.#inputs[field];
      const error = byId(`callback-${field}-error`);
      const message = errors[field];
      error.textContent = message ?? '';
      error.hidden = message === undefined;
      if (message === undefined) input.removeAttribute('aria-invalid');
      else input.setAttribute('aria-invalid', 'true');
      input.readOnly = sending;
    }
    const problem = state.kind === 'editing' ? state.problem : undefined;
    this.#problem.replaceChildren(...(problem === undefined ? [] : [icon('alert'), problem]));
    this.#problem.hidden = problem === undefined;
    this.#send.disabled = sending;
    this.#send.textContent = sending ? 'Sending…' : 'Send';
  }
}
