import { byId, el } from '../shared/el.js';
import { hydrateIcons, icon } from '../shared/icon.js';
import { showView } from '../shared/showView.js';
import type { AdminView, AdminViewContext } from './AdminView.js';
import { AdminApi } from './adminApi.js';
import {
  type AdminEvent,
  type AdminState,
  nextAdminState,
  pathOf,
  ROUTE_TITLES,
  type Route,
  routeOf,
  signInFocus,
  signInNotice,
} from './adminModel.js';
import { CallbacksPage } from './CallbacksPage.js';
import { CallsPage } from './CallsPage.js';
import { ExtensionsPage } from './ExtensionsPage.js';
import { LivePage } from './LivePage.js';

/**
 * The web admin, `/admin` (issue 11 point 2): a sign-in form, then the pages (Extensions, Live, Calls,
 * Callback requests) under one navigation, routed with the history API (`/admin/<page>`). The state is
 * AdminState; `#render` is the one place that shows it. A 401 from any request goes back to sign-in.
 */
export class AdminPage {
  readonly #api = new AdminApi();
  readonly #signInForm = byId<HTMLFormElement>('signin-form');
  readonly #nameInput = byId<HTMLInputElement>('signin-name');
  readonly #passwordInput = byId<HTMLInputElement>('signin-password');
  readonly #signInButton = byId<HTMLButtonElement>('signin-submit');
  readonly #signInNotice = byId('signin-notice');
  readonly #main = byId('page-body');
  readonly #pageTitle = byId('page-title');
  readonly #status = byId('admin-status');
  #state: AdminState;
  #view: { route: Route; view: AdminView } | undefined;
  #statusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    const route = routeOf(location.pathname) ?? 'extensions';
    this.#state = { kind: 'checking', route };
  }

  start(): void {
    hydrateIcons();
    if (routeOf(location.pathname) === undefined) history.replaceState(null, '', pathOf(this.#state.route));
    this.#api.onUnauthorized = () => this.#dispatch({ type: 'unauthorized' });
    this.#signInForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#signIn();
    });
    byId('sign-out').addEventListener('click', () => void this.#signOut());
    for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-route]')) {
      link.addEventListener('click', (event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        const route = link.dataset.route as Route;
        if (route !== this.#state.route) history.pushState(null, '', pathOf(route));
        this.#dispatch({ type: 'navigate', route }, true);
      });
    }
    window.addEventListener('popstate', () => {
      this.#dispatch({ type: 'navigate', route: routeOf(location.pathname) ?? 'extensions' }, true);
    });
    this.#render(false);
    void this.#api.currentSession().then((result) => this.#dispatch({ type: 'session-checked', result }));
  }

  #dispatch(event: AdminEvent, moveFocus = true): void {
    const before = this.#state;
    this.#state = nextAdminState(before, event);
    if (this.#state === before) return;
    this.#render(moveFocus, before);
  }

  #render(moveFocus: boolean, before?: AdminState): void {
    const state = this.#state;
    this.#api.session = state.kind === 'signed-in' ? state.session : undefined;
    const view =
      state.kind === 'signed-in' ? 'signed-in' : state.kind === 'checking' ? 'checking' : 'signed-out';
    showView(document.body, view);
    if (state.kind !== 'signed-in') {
      this.#unmountView();
      document.title = 'Sign in · pbx-peers admin';
    }
    if (state.kind === 'signed-out') {
      this.#renderSignIn(state.notice, state.busy);
      const arrived = before === undefined || before.kind !== 'signed-out' || !state.busy;
      if (moveFocus && arrived && !state.busy) {
        const target = signInFocus(state.notice, this.#nameInput.value);
        if (target === 'password') this.#passwordInput.select();
        (target === 'name' ? this.#nameInput : this.#passwordInput).focus();
      }
      return;
    }
    if (state.kind !== 'signed-in') return;
    byId('admin-name').textContent = state.session.name;
    for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-route]')) {
      if (link.dataset.route === state.route) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const title = ROUTE_TITLES[state.route];
    document.title = `${title} · pbx-peers admin`;
    if (this.#view?.route !== state.route) {
      this.#unmountView();
      this.#pageTitle.textContent = title;
      const context: AdminViewContext = { api: this.#api, announce: (text) => this.#announce(text) };
      const page = this.#makeView(state.route, context);
      this.#view = { route: state.route, view: page };
      page.mount(this.#main);
      // After signing in or moving to another page, focus goes to the page's heading.
      if (moveFocus && before !== undefined) this.#pageTitle.focus();
    }
  }

  #makeView(route: Route, context: AdminViewContext): AdminView {
    switch (route) {
      case 'extensions':
        return new ExtensionsPage(context);
      case 'live':
        return new LivePage(context);
      case 'calls':
        return new CallsPage(context);
      case 'callbacks':
        return new CallbacksPage(context);
    }
  }

  #unmountView(): void {
    this.#view?.view.unmount();
    this.#view = undefined;
    this.#main.replaceChildren();
  }

  #renderSignIn(notice: Parameters<typeof signInNotice>[0], busy: boolean): void {
    const text = signInNotice(notice);
    if (text === undefined) {
      this.#signInNotice.hidden = true;
      this.#signInNotice.replaceChildren();
    } else {
      this.#signInNotice.dataset.tone = text.tone === 'danger' ? 'danger' : 'info';
      this.#signInNotice.setAttribute('role', text.tone === 'danger' ? 'alert' : 'status');
      this.#signInNotice.replaceChildren(
        icon(text.tone === 'danger' ? 'alert' : 'lock'),
        el('span', { class: 'alert-text' }, text.text),
      );
      this.#signInNotice.hidden = false;
    }
    const invalid = notice === 'bad-password' || notice === 'missing';
    for (const input of [this.#nameInput, this.#passwordInput]) {
      if (invalid) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    this.#signInButton.disabled = busy;
    this.#signInButton.textContent = busy ? 'Signing in…' : 'Sign in';
  }

  async #signIn(): Promise<void> {
    if (this.#state.kind !== 'signed-out' || this.#state.busy) return;
    const name = this.#nameInput.value.trim();
    const password = this.#passwordInput.value;
    if (name === '' || password === '') {
      this.#dispatch({ type: 'sign-in-missing' });
      (name === '' ? this.#nameInput : this.#passwordInput).focus();
      return;
    }
    this.#dispatch({ type: 'sign-in-sent' });
    const result = await this.#api.signIn(name, password);
    if (result.ok) this.#passwordInput.value = '';
    this.#dispatch({ type: 'signed-in', result });
  }

  async #signOut(): Promise<void> {
    await this.#api.signOut();
    this.#passwordInput.value = '';
    this.#dispatch({ type: 'signed-out' });
  }

  #announce(text: string): void {
    clearTimeout(this.#statusTimer);
    // Emptied first, so that the same sentence twice is read twice.
    this.#status.textContent = '';
    this.#statusTimer = setTimeout(() => {
      this.#status.textContent = text;
      this.#statusTimer = setTimeout(() => {
        this.#status.textContent = '';
      }, 6_000);
    }, 50);
  }
}
