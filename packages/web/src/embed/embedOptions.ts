/**
 * What a site sets on the call button (docs/embed.md): read from the `<script>` tag's data attributes or
 * the `<pbx-call-button>` element's attributes, checked, and completed with defaults. Pure, so that Node
 * tests can run it.
 */

export type Corner = 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left';
const CORNERS: readonly Corner[] = ['bottom-right', 'bottom-left', 'top-right', 'top-left'];

export interface EmbedOptions {
  extension: string;
  /** The pbx-peers origin, `https://pbx.example.com`: where the status and the caller page come from. */
  server: string;
  label: string;
  /** The button's background; its text is white or near-black, whichever reads better on it. */
  color: string;
  textColor: string;
  corner: Corner;
}

export const DEFAULT_LABEL = 'Call us';
export const DEFAULT_COLOR = '#1d4ed8';
const LABEL_MAX = 40;

/** Reads one attribute: `extension` on the element, `data-extension` on the script tag. */
export type AttributeReader = (
  name: 'extension' | 'server' | 'label' | 'color' | 'position',
) => string | null;

/**
 * The options, or a sentence saying what is wrong. `scriptOrigin` is the origin `embed.js` came from, the
 * server unless the `server` attribute names another one.
 */
export function readEmbedOptions(
  read: AttributeReader,
  scriptOrigin: string | undefined,
): EmbedOptions | string {
  const extension = read('extension')?.trim() ?? '';
  if (extension === '')
    return 'no extension: add data-extension="ID" (or extension="ID") with the extension id';
  const server = originOf(read('server')?.trim() || scriptOrigin);
  if (server === undefined) return 'no server: add server="https://your-pbx" to the element';
  const label = (read('label') ?? '').replace(/\s+/g, ' ').trim().slice(0, LABEL_MAX) || DEFAULT_LABEL;
  const color = cssColor(read('color')) ?? DEFAULT_COLOR;
  const position = read('position')?.trim().toLowerCase() ?? '';
  const corner = (CORNERS as readonly string[]).includes(position) ? (position as Corner) : 'bottom-right';
  return { extension, server, label, color, textColor: textOn(color), corner };
}

/** `https://host[:port]` of a URL, or undefined when it is not an http(s) URL. */
export function originOf(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A colour as CSS writes it: `#rgb`, `#rrggbb`, a name, or `rgb()`/`hsl()` and friends; nothing that could
 * end the declaration (no `;`, braces, quotes or backslashes). Whether the browser knows it is checked
 * where it is used (CSS.supports).
 */
export function cssColor(value: string | null): string | undefined {
  const color = value?.trim() ?? '';
  if (/^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(color)) return color;
  if (/^[a-z]{3,30}$/i.test(color)) return color;
  if (/^(?:rgba?|hsla?|hwb|oklch|oklab|lch|lab)\([\d\s.,%/+-]{1,60}\)$/i.test(color)) return color;
  return undefined;
}

/** White on dark colours, near-black on light ones (by WCAG relative luminance); white when unknown. */
export function textOn(color: string): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})(?:[0-9a-f]{1,2})?$/i.exec(color)?.[1];
  if (hex === undefined) return '#ffffff';
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  const channel = (at: number) => {
    const c = Number.parseInt(full.slice(at, at + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  // Contrast with white (1.05 / (L + 0.05)) against contrast with #111 ((L + 0.05) / 0.0556).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0556 ? '#ffffff' : '#111111';
}

/** `/ext/<id>?embed=1` on the server: the caller page, as the panel's iframe shows it. */
export function callerPageUrl(options: Pick<EmbedOptions, 'server' | 'extension'>): string {
  return `${options.server}/ext/${encodeURIComponent(options.extension)}?embed=1`;
}

export function statusUrl(options: Pick<EmbedOptions, 'server' | 'extension'>): string {
  return `${options.server}/api/extensions/${encodeURIComponent(options.extension)}/status`;
}
