/**
 * `/embed.js`: the call button for any website (docs/embed.md). One classic script, no imports at run
 * time, nothing loaded from anywhere but the pbx-peers server it came from.
 *
 * - `<script src="https://PBX/embed.js" data-extension="ID" async></script>` adds a floating button in a
 *   corner of the page (`data-label`, `data-color`, `data-position`).
 * - `<pbx-call-button extension="ID"></pbx-call-button>` (the same script defines it) is the same button
 *   where the element is; `server="https://PBX"` when the script came from elsewhere.
 *
 * The button shows whether anyone is there (polling `GET /api/extensions/<id>/status` every 15 s) and opens
 * the caller page (`/ext/<id>?embed=1`) in an iframe of the server's origin, in a panel that can be
 * minimised (the iframe, and any call in it, stay) or closed (the iframe goes, ending a call).
 */

import {
  type AttributeReader,
  callerPageUrl,
  type EmbedOptions,
  readEmbedOptions,
  statusUrl,
} from './embedOptions.js';
import { EMBED_CSS } from './embedStyles.js';

const POLL_MS = 15_000;
const ELEMENT = 'pbx-call-button';
const SVG = 'http://www.w3.org/2000/svg';
const PHONE =
  'M22 16.92v3a2 2 0 0 1-2.18 2 19.8 19.8 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.12 4.18 2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72c.13.96.36 1.9.7 2.81a2 2 0 0 1-.45 2.11L8.09 9.91a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45c.9.34 1.85.57 2.81.7A2 2 0 0 1 22 16.92z';
const CLOSE = 'M18 6L6 18M6 6l12 12';
const MINIMISE = 'M5 12h14';

type Status = 'ready' | 'offline';

/** The script's own origin, read while it runs (`currentScript` is null afterwards). */
const script = document.currentScript instanceof HTMLScriptElement ? document.currentScript : null;
const scriptOrigin = script?.src ? new URL(script.src, document.baseURI).origin : undefined;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Built node by node, not with innerHTML: a site enforcing Trusted Types must not break the button. */
function svgIcon(path: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [name, value] of Object.entries({
    viewBox: '0 0 24 24',
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '2',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
    'aria-hidden': 'true',
    focusable: 'false',
    class: 'icon',
  })) {
    svg.setAttribute(name, value);
  }
  const shape = document.createElementNS(SVG, 'path');
  shape.setAttribute('d', path);
  svg.append(shape);
  return svg;
}

/**
 * The shared styles and this button's colours (set again with `setColors`). Constructed stylesheets are not
 * subject to the site's CSP `style-src`; `<style>` elements where they are not supported.
 */
function adoptStyles(root: ShadowRoot): (css: string) => void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(EMBED_CSS);
    const colors = new CSSStyleSheet();
    root.adoptedStyleSheets = [sheet, colors];
    return (css) => colors.replaceSync(css);
  } catch {
    const colors = el('style');
    root.append(el('style', {}, EMBED_CSS), colors);
    return (css) => {
      colors.textContent = css;
    };
  }
}

class PbxCallButton extends HTMLElement {
  readonly #root = this.attachShadow({ mode: 'open' });
  readonly #setColors = adoptStyles(this.#root);
  readonly #label = el('span', { class: 'label' });
  readonly #state = el('span', { class: 'state' });
  readonly #launcher = el(
    'button',
    { type: 'button', class: 'launcher', 'aria-haspopup': 'dialog', 'aria-expanded': 'false' },
    svgIcon(PHONE),
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    el('span', { class: 'text' }, this.#label, this.#state),
  );
  readonly #title = el('span', { class: 'title' });
  readonly #minimise = el('button', { type: 'button', 'aria-label': 'Minimise' }, svgIcon(MINIMISE));
  readonly #close = el('button', { type: 'button', 'aria-label': 'Close' }, svgIcon(CLOSE));
  readonly #panel = el(
    'div',
    { class: 'panel', role: 'dialog', hidden: '' },
    el('div', { class: 'bar' }, this.#title, this.#minimise, this.#close),
  );
  #options: EmbedOptions | undefined;
  #status: Status | undefined;
  #name = '';
  #frame: HTMLIFrameElement | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling = false;
  /** A status request on its way: another poll then waits for the next turn rather than run beside it. */
  #inFlight = false;

  constructor() {
    super();
    this.#panel.id = 'pbx-panel';
    this.#launcher.setAttribute('aria-controls', this.#panel.id);
    this.#root.append(this.#launcher, this.#panel);
    this.#launcher.addEventListener('click', () => (this.#isOpen() ? this.#minimiseNow() : this.#open()));
    this.#minimise.addEventListener('click', () => this.#minimiseNow());
    this.#close.addEventListener('click', () => this.#closeNow());
    this.#root.addEventListener('keydown', (event) => {
      const key = (event as KeyboardEvent).key;
      if (key === 'Escape' && this.#isOpen()) {
        event.preventDefault();
        this.#minimiseNow();
      }
    });
  }

  static get observedAttributes(): string[] {
    return ['extension', 'server', 'label', 'color', 'position'];
  }

  connectedCallback(): void {
    this.#configure();
    this.#polling = true;
    document.addEventListener('visibilitychange', this.#onVisibility);
    void this.#poll();
  }

  disconnectedCallback(): void {
    this.#polling = false;
    clearTimeout(this.#timer);
    document.removeEventListener('visibilitychange', this.#onVisibility);
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.#configure();
  }

  #configure(): void {
    const read: AttributeReader = (name) => this.getAttribute(name);
    const options = readEmbedOptions(read, scriptOrigin);
    if (typeof options === 'string') {
      console.warn(`pbx-peers call button: ${options}.`);
      this.hidden = true;
      return;
    }
    const previous = this.#options;
    this.#options = options;
    const color = CSS.supports('color', options.color) ? options.color : '#1d4ed8';
    // In the shadow root and !important: the site's `* { --c: red !important }` cannot change them.
    this.#setColors(`:host{--c:${color}!important;--t:${options.textColor}!important}`);
    const keep = (element: HTMLElement, name: string) => (element.classList.contains(name) ? ` ${name}` : '');
    this.#launcher.className = `launcher ${options.corner}${keep(this.#launcher, 'covered')}`;
    this.#panel.className = `panel ${options.corner}${keep(this.#panel, 'minimised')}`;
    this.#label.textContent = options.label;
    this.#render();
    // Another extension or server: the panel shows another page, so an open one is closed.
    if (previous !== undefined && callerPageUrl(previous) !== callerPageUrl(options)) {
      this.#closeNow(false);
      void this.#poll();
    }
  }

  readonly #onVisibility = () => {
    if (document.visibilityState === 'visible') void this.#poll();
  };

  async #poll(): Promise<void> {
    const options = this.#options;
    if (!this.#polling || options === undefined || this.#inFlight) return;
    clearTimeout(this.#timer);
    this.#inFlight = true;
    let reading: { status?: unknown; name?: unknown } | 'unknown-extension' | undefined;
    try {
      const response = await fetch(statusUrl(options), {
        cache: 'no-store',
        credentials: 'omit',
        mode: 'cors',
        referrerPolicy: 'no-referrer',
      });
      reading = response.status === 404 ? 'unknown-extension' : await response.json();
    } catch {
      // Unreachable for now: the state is unknown until the next poll answers.
      reading = undefined;
    } finally {
      this.#inFlight = false;
    }
    // Another extension or server meanwhile: this reading is not about it.
    if (options !== this.#options) return void this.#poll();
    if (reading === 'unknown-extension') {
      console.warn(`pbx-peers call button: ${options.server} has no extension "${options.extension}".`);
      this.hidden = true;
      return;
    }
    const status = reading?.status;
    this.#status = status === 'ready' || status === 'offline' ? status : undefined;
    if (typeof reading?.name === 'string') this.#name = reading.name;
    this.hidden = false;
    this.#render();
    // Hidden tabs are not polled; they are as soon as they are shown again.
    if (this.#polling && document.visibilityState !== 'hidden') {
      this.#timer = setTimeout(() => void this.#poll(), POLL_MS);
    }
  }

  #render(): void {
    const options = this.#options;
    if (options === undefined) return;
    const status = this.#status;
    if (status === undefined) delete this.dataset.status;
    else this.dataset.status = status;
    const minimised = this.#frame !== undefined && !this.#isOpen();
    const shown = status === 'ready' ? 'Available now' : status === 'offline' ? 'Offline' : '';
    // A minimised panel may hold a call: the button says it is there to come back to.
    this.#state.textContent = minimised
      ? [shown, 'minimised'].filter((part) => part !== '').join(' · ')
      : shown;
    const stateText =
      status === 'ready'
        ? ', available now'
        : status === 'offline'
          ? ', nobody is available: leave your number'
          : '';
    this.#launcher.setAttribute(
      'aria-label',
      `${options.label}${stateText}${minimised ? ' (the call panel is minimised)' : ''}`,
    );
    const title = this.#name === '' ? options.label : `${options.label}: ${this.#name}`;
    this.#title.textContent = title;
    this.#panel.setAttribute('aria-label', title);
    this.#frame?.setAttribute('title', title);
  }

  #isOpen(): boolean {
    return !this.#panel.hidden && !this.#panel.classList.contains('minimised');
  }

  #open(): void {
    const options = this.#options;
    if (options === undefined) return;
    if (this.#frame === undefined) {
      const frame = el('iframe', {
        src: callerPageUrl(options),
        allow: 'camera; microphone; autoplay',
        referrerpolicy: 'no-referrer',
      });
      this.#frame = frame;
      this.#panel.append(frame);
    }
    this.#panel.hidden = false;
    this.#panel.classList.remove('minimised');
    this.#launcher.classList.add('covered');
    this.#launcher.setAttribute('aria-expanded', 'true');
    this.#render();
    this.#frame.focus();
  }

  /** Hides the panel; the iframe stays, and with it the call. */
  #minimiseNow(): void {
    if (this.#frame === undefined) return this.#closeNow();
    this.#panel.classList.add('minimised');
    this.#afterHiding(true);
  }

  /** Removes the iframe: the caller page unloads, which ends a call it had. */
  #closeNow(focus = true): void {
    this.#frame?.remove();
    this.#frame = undefined;
    this.#panel.hidden = true;
    this.#panel.classList.remove('minimised');
    this.#afterHiding(focus);
  }

  #afterHiding(focus: boolean): void {
    this.#launcher.classList.remove('covered');
    this.#launcher.setAttribute('aria-expanded', 'false');
    this.#render();
    if (focus) this.#launcher.focus();
  }
}

if (customElements.get(ELEMENT) === undefined) customElements.define(ELEMENT, PbxCallButton);

/** The script tag with `data-extension`: a floating button, added once the page has a body. */
if (script?.dataset.extension !== undefined) {
  const tag = script;
  const add = () => {
    const button = document.createElement(ELEMENT);
    button.setAttribute('floating', '');
    const names = ['extension', 'label', 'color', 'position', 'server'] as const;
    for (const name of names) {
      const value = tag.dataset[name];
      if (value !== undefined) button.setAttribute(name, value);
    }
    document.body.append(button);
  };
  if (document.body === null) document.addEventListener('DOMContentLoaded', add, { once: true });
  else add();
}
