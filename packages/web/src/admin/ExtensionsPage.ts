import { el } from '../shared/el.js';
import { icon } from '../shared/icon.js';
import { type AdminView, type AdminViewContext, alertBox, focusKey } from './AdminView.js';
import type { ExtensionRow } from './adminData.js';
import { adminItem } from './adminItem.js';
import { formatDateTime, problemText } from './adminModel.js';
import { copyText } from './copyText.js';
import {
  addProblem,
  type ExtensionsEvent,
  type ExtensionsState,
  initialExtensions,
  nextExtensions,
  renameProblem,
  type Secret,
  secretNote,
} from './extensionsModel.js';

/**
 * Extensions: the list (rename inline; new password and remove each ask first; copy the caller URL and
 * the embed snippet), the add form, and a generated password shown once. The state is
 * ExtensionsState; every change re-renders from it and then focuses the element the change leads to.
 */
export class ExtensionsPage implements AdminView {
  readonly #context: AdminViewContext;
  #state: ExtensionsState = initialExtensions;
  #root: HTMLElement | undefined;
  #mounted = false;
  /** Typed into the add form and the rename field, kept across re-renders. */
  #addName = '';
  #addId = '';
  #renameValue = '';

  constructor(context: AdminViewContext) {
    this.#context = context;
  }

  mount(container: HTMLElement): void {
    this.#mounted = true;
    this.#root = el('div', { class: 'admin-page stack' });
    container.replaceChildren(this.#root);
    this.#render();
    void this.#load();
  }

  unmount(): void {
    this.#mounted = false;
    this.#root = undefined;
  }

  #dispatch(event: ExtensionsEvent, focus?: string): void {
    if (!this.#mounted) return;
    const step = nextExtensions(this.#state, event);
    this.#state = step.state;
    if (step.unauthorized) return;
    this.#render(focus);
    if (step.reload) void this.#load();
  }

  async #load(): Promise<void> {
    const result = await this.#context.api.extensions();
    this.#dispatch({ type: 'loaded', result });
  }

  #render(focus?: string): void {
    const root = this.#root;
    if (root === undefined) return;
    const { secret } = this.#state;
    // A re-render (a list reloaded) keeps keyboard focus where it was, unless the change moves it.
    const active = document.activeElement;
    const kept = active instanceof HTMLElement && root.contains(active) ? active.dataset.focus : undefined;
    root.replaceChildren(
      ...(secret === undefined ? [] : [this.#secretPanel(secret)]),
      this.#addForm(),
      this.#list(),
    );
    focusKey(root, focus ?? kept);
  }

  // ---------------------------------------------------------------- the password shown once

  #secretPanel(secret: Secret): HTMLElement {
    const titleId = 'secret-title';
    const noteId = 'secret-note';
    const passwordId = 'secret-password';
    return el(
      'section',
      { class: 'admin-secret stack', 'aria-labelledby': titleId, 'data-secret': secret.kind },
      el(
        'h2',
        { class: 'section-title', id: titleId, tabindex: '-1', 'data-focus': 'secret' },
        icon('lock'),
        secret.kind === 'created' ? `${secret.name} added: its password` : `New password for ${secret.name}`,
      ),
      el('p', { class: 'admin-once', id: noteId }, el('strong', {}, 'Shown once. '), secretNote(secret)),
      el(
        'div',
        { class: 'admin-copy-row' },
        el(
          'code',
          {
            class: 'admin-secret-value',
            id: passwordId,
          },
          secret.password,
        ),
        this.#copyButton('Copy password', secret.password, 'Password copied.', {
          'aria-describedby': noteId,
          'data-focus': 'copy-password',
        }),
      ),
      secret.callerUrl === ''
        ? null
        : el(
            'p',
            { class: 'hint admin-wrap' },
            'Callers: ',
            el('a', { href: secret.callerUrl, target: '_blank', rel: 'noreferrer' }, secret.callerUrl),
          ),
      el(
        'div',
        {},
        this.#button('I have copied it', 'btn btn-primary btn-small', () => {
          this.#dispatch(
            { type: 'dismiss-secret' },
            secret.kind === 'created' ? 'add-name' : `password:${secret.id}`,
          );
        }),
      ),
    );
  }

  // ---------------------------------------------------------------- add

  #addForm(): HTMLElement {
    const { add } = this.#state;
    const error = add.error;
    const nameError = error?.field === 'name' ? error.message : undefined;
    const idError = error?.field === 'id' ? error.message : undefined;
    const name = el('input', {
      id: 'add-name',
      name: 'name',
      type: 'text',
      maxlength: '100',
      autocomplete: 'off',
      required: true,
      'aria-invalid': nameError === undefined ? undefined : 'true',
      'aria-describedby': nameError === undefined ? undefined : 'add-name-error',
      'data-focus': 'add-name',
    });
    name.value = this.#addName;
    name.addEventListener('input', () => {
      this.#addName = name.value;
    });
    const id = el('input', {
      id: 'add-id',
      name: 'id',
      type: 'text',
      maxlength: '64',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-invalid': idError === undefined ? undefined : 'true',
      'aria-describedby': idError === undefined ? 'add-id-hint' : 'add-id-hint add-id-error',
      'data-focus': 'add-id',
    });
    id.value = this.#addId;
    id.addEventListener('input', () => {
      this.#addId = id.value;
    });
    const form = el(
      'form',
      { class: 'admin-add', novalidate: true, 'aria-labelledby': 'add-title' },
      el('h2', { class: 'section-title', id: 'add-title' }, 'Add an extension'),
      el(
        'div',
        { class: 'admin-add-fields' },
        el(
          'div',
          { class: 'field' },
          el('label', { for: 'add-name' }, 'Name'),
          name,
          nameError === undefined ? null : el('p', { class: 'field-error', id: 'add-name-error' }, nameError),
        ),
        el(
          'div',
          { class: 'field' },
          el('label', { for: 'add-id' }, 'Id ', el('span', { class: 'muted' }, '(optional)')),
          id,
          el('p', { class: 'hint', id: 'add-id-hint' }, 'Part of the URLs. Left empty, one is made up.'),
          idError === undefined ? null : el('p', { class: 'field-error', id: 'add-id-error' }, idError),
        ),
        el(
          'button',
          {
            class: 'btn btn-primary admin-add-submit',
            type: 'submit',
            disabled: add.busy,
            'data-focus': 'add-submit',
          },
          add.busy ? 'Adding…' : 'Add extension',
        ),
      ),
      error?.field === 'form' ? alertBox(error.message, 'danger', 'add-error') : null,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#add();
    });
    return form;
  }

  async #add(): Promise<void> {
    if (this.#state.add.busy) return;
    const name = this.#addName.trim();
    const id = this.#addId.trim();
    const problem = addProblem(name, id);
    if (problem !== undefined) {
      this.#dispatch({ type: 'add-invalid', ...problem }, problem.field === 'name' ? 'add-name' : 'add-id');
      return;
    }
    this.#dispatch({ type: 'add-sent' });
    const result = await this.#context.api.addExtension(name, id === '' ? undefined : id);
    if (result.ok) {
      this.#addName = '';
      this.#addId = '';
    }
    const focus = result.ok ? 'secret' : result.problem === 'duplicate' ? 'add-id' : 'add-submit';
    this.#dispatch({ type: 'added', result }, focus);
  }

  // ---------------------------------------------------------------- the list

  #list(): HTMLElement {
    const { rows, loadError, notice } = this.#state;
    const section = el(
      'section',
      { class: 'admin-section', 'aria-labelledby': 'list-title' },
      el(
        'h2',
        { class: 'section-title', id: 'list-title', tabindex: '-1', 'data-focus': 'list-title' },
        'Extensions',
        rows === undefined ? null : el('span', { class: 'count' }, String(rows.length)),
      ),
    );
    if (notice !== undefined) section.append(el('p', { class: 'admin-notice', role: 'status' }, notice));
    if (loadError !== undefined) {
      const retry = this.#button('Try again', 'btn btn-ghost btn-small', () => void this.#load());
      section.append(
        el(
          'div',
          { class: 'stack' },
          alertBox(`The extensions could not be loaded. ${loadError}`),
          el('div', {}, retry),
        ),
      );
      return section;
    }
    if (rows === undefined) {
      section.append(el('p', { class: 'muted' }, 'Loading…'));
      return section;
    }
    if (rows.length === 0) {
      section.append(
        el(
          'div',
          { class: 'empty' },
          el('p', {}, 'No extensions yet.'),
          el('p', { class: 'hint' }, 'Add one above: it gets a caller page and an agent console.'),
        ),
      );
      return section;
    }
    section.append(el('ul', { class: 'admin-list' }, ...rows.map((row) => this.#row(row))));
    return section;
  }

  #row(row: ExtensionRow): HTMLElement {
    const active = this.#state.active?.id === row.id ? this.#state.active : undefined;
    const nameId = `ext-name-${row.id}`;
    const item = adminItem(
      {
        nameId,
        name: row.name,
        hint: [
          'Id ',
          el('code', {}, row.id),
          row.updatedAt === '' ? '' : ` · changed ${formatDateTime(row.updatedAt)}`,
        ],
        data: { 'data-extension-id': row.id },
      },
      el(
        'p',
        { class: 'admin-wrap hint' },
        'Caller page: ',
        el('a', { href: row.callerUrl, target: '_blank', rel: 'noreferrer' }, row.callerUrl),
      ),
      el(
        'p',
        { class: 'admin-wrap hint' },
        'Agent console: ',
        el('a', { href: row.agentUrl, target: '_blank', rel: 'noreferrer' }, row.agentUrl),
      ),
    );
    if (active?.action === 'rename') {
      item.append(this.#renameForm(row, active.busy, active.error));
    } else if (active?.action === 'password' || active?.action === 'remove') {
      item.append(this.#confirm(row, active.action, active.busy, active.error));
    } else {
      item.append(this.#actions(row));
    }
    return item;
  }

  #actions(row: ExtensionRow): HTMLElement {
    const small = 'btn btn-ghost btn-small';
    return el(
      'div',
      { class: 'admin-actions' },
      this.#copyButton('Copy caller URL', row.callerUrl, `Caller URL of ${row.name} copied.`, {
        'aria-label': `Copy caller URL of ${row.name}`,
        'data-focus': `caller-url:${row.id}`,
      }),
      this.#button('Copy embed snippet', small, () => void this.#copySnippet(row), {
        'aria-label': `Copy embed snippet of ${row.name}`,
        'data-focus': `snippet:${row.id}`,
      }),
      this.#button('Rename', small, () => this.#begin(row, 'rename'), {
        'aria-label': `Rename ${row.name}`,
        'data-focus': `rename:${row.id}`,
      }),
      this.#button('New password', small, () => this.#begin(row, 'password'), {
        'aria-label': `New password for ${row.name}`,
        'data-focus': `password:${row.id}`,
      }),
      this.#button('Remove', 'btn btn-ghost btn-small admin-danger-text', () => this.#begin(row, 'remove'), {
        'aria-label': `Remove ${row.name}`,
        'data-focus': `remove:${row.id}`,
      }),
    );
  }

  #begin(row: ExtensionRow, action: 'rename' | 'password' | 'remove'): void {
    if (action === 'rename') this.#renameValue = row.name;
    this.#dispatch(
      { type: 'begin', id: row.id, action },
      action === 'rename' ? `rename-input:${row.id}` : `confirm:${row.id}`,
    );
  }

  #cancel(row: ExtensionRow): void {
    const action = this.#state.active?.action ?? 'rename';
    this.#dispatch({ type: 'cancel' }, `${action}:${row.id}`);
  }

  #renameForm(row: ExtensionRow, busy: boolean, error: string | undefined): HTMLElement {
    const inputId = `rename-${row.id}`;
    const errorId = `rename-error-${row.id}`;
    const input = el('input', {
      id: inputId,
      type: 'text',
      maxlength: '100',
      autocomplete: 'off',
      required: true,
      'aria-invalid': error === undefined ? undefined : 'true',
      'aria-describedby': error === undefined ? undefined : errorId,
      'data-focus': `rename-input:${row.id}`,
    });
    input.value = this.#renameValue;
    input.addEventListener('input', () => {
      this.#renameValue = input.value;
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.#cancel(row);
      }
    });
    const form = el(
      'form',
      { class: 'admin-inline-form', novalidate: true },
      el(
        'div',
        { class: 'field' },
        el('label', { for: inputId }, `New name for ${row.name}`),
        input,
        error === undefined ? null : el('p', { class: 'field-error', id: errorId }, error),
      ),
      el(
        'div',
        { class: 'admin-actions' },
        el(
          'button',
          { class: 'btn btn-primary btn-small', type: 'submit', disabled: busy },
          busy ? 'Saving…' : 'Save',
        ),
        this.#button('Cancel', 'btn btn-ghost btn-small', () => this.#cancel(row)),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#rename(row);
    });
    return form;
  }

  async #rename(row: ExtensionRow): Promise<void> {
    if (this.#state.active?.busy === true) return;
    const name = this.#renameValue.trim();
    const problem = renameProblem(name);
    if (problem !== undefined) {
      this.#dispatch({ type: 'rename-invalid', message: problem }, `rename-input:${row.id}`);
      return;
    }
    this.#dispatch({ type: 'send' });
    const result = await this.#context.api.renameExtension(row.id, name);
    this.#dispatch(
      { type: 'renamed', id: row.id, result },
      result.ok ? `rename:${row.id}` : `rename-input:${row.id}`,
    );
  }

  #confirm(
    row: ExtensionRow,
    action: 'password' | 'remove',
    busy: boolean,
    error: string | undefined,
  ): HTMLElement {
    const questionId = `confirm-${row.id}`;
    const question =
      action === 'password'
        ? `Make a new password for ${row.name}? The current one stops working; agents sign in with the new one.`
        : `Remove ${row.name}? Its caller page and agent console stop working. Its call history is kept.`;
    const confirmLabel = action === 'password' ? 'Make new password' : 'Remove';
    const busyLabel = action === 'password' ? 'Making…' : 'Removing…';
    const confirm = el(
      'button',
      {
        class: action === 'remove' ? 'btn btn-danger btn-small' : 'btn btn-primary btn-small',
        type: 'button',
        disabled: busy,
        'aria-describedby': questionId,
        'data-focus': `confirm:${row.id}`,
      },
      busy ? busyLabel : confirmLabel,
    );
    confirm.addEventListener('click', () => void this.#confirmed(row, action));
    const box = el(
      'div',
      { class: 'admin-confirm', role: 'group', 'aria-labelledby': questionId },
      el('p', { id: questionId }, question),
      error === undefined ? null : alertBox(error),
      el(
        'div',
        { class: 'admin-actions' },
        confirm,
        this.#button('Cancel', 'btn btn-ghost btn-small', () => this.#cancel(row)),
      ),
    );
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.#cancel(row);
      }
    });
    return box;
  }

  async #confirmed(row: ExtensionRow, action: 'password' | 'remove'): Promise<void> {
    if (this.#state.active?.busy === true) return;
    this.#dispatch({ type: 'send' });
    if (action === 'password') {
      const result = await this.#context.api.newPassword(row.id);
      this.#dispatch(
        { type: 'password-changed', id: row.id, result },
        result.ok ? 'secret' : `confirm:${row.id}`,
      );
    } else {
      const result = await this.#context.api.removeExtension(row.id);
      this.#dispatch({ type: 'removed', id: row.id, result }, result.ok ? 'list-title' : `confirm:${row.id}`);
    }
  }

  async #copySnippet(row: ExtensionRow): Promise<void> {
    const result = await this.#context.api.embedSnippet(row.id);
    if (!result.ok) {
      this.#context.announce(
        `The embed snippet could not be loaded. ${problemText(result.problem, result.message)}`,
      );
      return;
    }
    const copied = await copyText(result.value);
    this.#context.announce(
      copied ? `Embed snippet of ${row.name} copied.` : `Copy failed. The snippet: ${result.value}`,
    );
  }

  // ---------------------------------------------------------------- small parts

  #button(
    label: string,
    className: string,
    onClick: () => void,
    attributes: Record<string, string> = {},
  ): HTMLButtonElement {
    const button = el('button', { class: className, type: 'button', ...attributes }, label);
    button.addEventListener('click', onClick);
    return button;
  }

  #copyButton(
    label: string,
    text: string,
    done: string,
    attributes: Record<string, string> = {},
  ): HTMLButtonElement {
    return this.#button(
      label,
      'btn btn-ghost btn-small',
      () => {
        void copyText(text).then((copied) =>
          this.#context.announce(copied ? done : `Copy failed: select the text and copy it.`),
        );
      },
      attributes,
    );
  }
}
