/**
 * WCAG 2 contrast of every text colour on the background it is drawn on, in both themes: the colours are
 * read from app.css (the custom properties of `:root`, and those the dark theme's
 * `@media (prefers-color-scheme: dark)` block overrides), and each pair the stylesheet uses is listed here
 * with where it appears. Text needs 4.5:1 (AA); large text (24 px, or 18.66 px bold) 3:1. Disabled
 * controls (opacity 0.5) are exempt, as WCAG exempts inactive components.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

const CSS = readFileSync(new URL('../src/shared/app.css', import.meta.url), 'utf8');

/** The declarations of the first `:root { ... }` block at or after `from`. */
function rootVariables(css: string, from: number): Map<string, string> {
  const start = css.indexOf(':root', from);
  const open = css.indexOf('{', start);
  const close = css.indexOf('}', open);
  const variables = new Map<string, string>();
  for (const match of css.slice(open + 1, close).matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) {
    variables.set(match[1] as string, (match[2] as string).trim());
  }
  return variables;
}

function themes(): Record<'light' | 'dark', Map<string, string>> {
  const light = rootVariables(CSS, 0);
  const darkAt = CSS.indexOf('@media (prefers-color-scheme: dark)');
  assert.ok(darkAt > 0, 'app.css has a dark theme');
  const dark = new Map([...light, ...rootVariables(CSS, darkAt)]);
  return { light, dark };
}

type Rgb = [number, number, number];

/** `#rgb`, `#rrggbb`, `rgb(r g b [/ a])` (alpha composited over `under`), or `var(--x)` of the theme. */
function colour(value: string, theme: Map<string, string>, under?: Rgb): Rgb {
  const trimmed = value.trim();
  const variable = /^var\((--[\w-]+)\)$/.exec(trimmed);
  if (variable !== null) {
    const resolved = theme.get(variable[1] as string);
    assert.ok(resolved !== undefined, `${variable[1]} is defined`);
    return colour(resolved, theme, under);
  }
  if (trimmed === '#fff' || trimmed === 'white') return [255, 255, 255];
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(trimmed);
  if (hex !== null) {
    const digits = hex[1] as string;
    const full = digits.length === 3 ? [...digits].map((digit) => digit + digit).join('') : digits;
    return [0, 2, 4].map((at) => Number.parseInt(full.slice(at, at + 2), 16)) as Rgb;
  }
  const rgb = /^rgb\((\d+)\s+(\d+)\s+(\d+)(?:\s*\/\s*([\d.]+))?\)$/.exec(trimmed);
  if (rgb !== null) {
    const channels = [rgb[1], rgb[2], rgb[3]].map(Number) as Rgb;
    const alpha = rgb[4] === undefined ? 1 : Number(rgb[4]);
    if (alpha === 1) return channels;
    assert.ok(under !== undefined, `${trimmed} needs what it is drawn over`);
    return channels.map((channel, index) => channel * alpha + (under[index] as number) * (1 - alpha)) as Rgb;
  }
  throw new Error(`unsupported colour ${trimmed}`);
}

function luminance([r, g, b]: Rgb): number {
  const linear = (channel: number) => {
    const c = channel / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

interface Pair {
  where: string;
  text: string;
  background: string;
  /** What a translucent background is drawn over. */
  over?: string;
  large?: boolean;
}

/** Every text colour on every background the stylesheet draws it on. */
const PAIRS: Pair[] = [
  { where: 'body text on the page', text: 'var(--text)', background: 'var(--bg)' },
  { where: 'text on a card, inputs, ghost buttons', text: 'var(--text)', background: 'var(--surface)' },
  {
    where: 'text on surface-2 (alerts, code, controls, chat)',
    text: 'var(--text)',
    background: 'var(--surface-2)',
  },
  {
    where: 'muted text on a card (hints, eyebrow, empty queue)',
    text: 'var(--muted)',
    background: 'var(--surface)',
  },
  {
    where: 'muted text on surface-2 (queue meta, chat hint)',
    text: 'var(--muted)',
    background: 'var(--surface-2)',
  },
  { where: 'footer on the page', text: 'var(--muted)', background: 'var(--bg)' },
  { where: 'footer on the page glow', text: 'var(--muted)', background: 'var(--bg-accent)' },
  { where: 'queue count', text: 'var(--muted)', background: 'var(--idle-soft)' },
  { where: 'pill: signed out / offline', text: 'var(--idle)', background: 'var(--idle-soft)' },
  { where: 'pill: ready', text: 'var(--ok)', background: 'var(--ok-soft)' },
  { where: 'pill: connecting; warning alert', text: 'var(--warn)', background: 'var(--warn-soft)' },
  { where: 'pill: busy; avatar; sign-in badge', text: 'var(--accent)', background: 'var(--accent-soft)' },
  { where: 'anonymous avatar', text: 'var(--idle)', background: 'var(--idle-soft)' },
  { where: 'danger alert', text: 'var(--danger)', background: 'var(--danger-soft)' },
  { where: 'chat problem', text: 'var(--danger)', background: 'var(--surface-2)' },
  { where: 'link button', text: 'var(--accent)', background: 'var(--surface)' },
  { where: "a callback request's contact link", text: 'var(--accent)', background: 'var(--surface-2)' },
  { where: "a field's error (Leave your number)", text: 'var(--danger)', background: 'var(--surface)' },
  { where: 'callback request avatar', text: 'var(--warn)', background: 'var(--warn-soft)' },
  { where: 'Sign in (primary button)', text: '#fff', background: 'var(--accent-fill)' },
  { where: 'primary button, hover', text: '#fff', background: 'var(--accent-fill-hover)' },
  { where: 'Call, Answer, Call again (call button)', text: '#fff', background: 'var(--ok-bright)' },
  { where: 'call button, hover', text: '#fff', background: 'var(--ok-hover)' },
  { where: 'Hang up (danger button, control)', text: '#fff', background: 'var(--danger-fill)' },
  { where: 'danger button, hover', text: '#fff', background: 'var(--danger-fill-hover)' },
  { where: 'own chat message; unread Chat control', text: '#fff', background: 'var(--accent-fill)' },
  { where: 'microphone or camera off control', text: '#fff', background: '#334155' },
  { where: 'banner: reconnecting', text: '#422006', background: '#fcd34d' },
  { where: 'banner: removed extension', text: '#fff', background: 'var(--danger-fill)' },
  { where: 'video stage text', text: '#e2e8f0', background: '#1e293b' },
  { where: 'video stage note', text: '#cbd5e1', background: '#1e293b' },
  {
    where: 'connection unstable over the video',
    text: '#fff',
    background: 'rgb(180 83 9 / 0.9)',
    over: '#1e293b',
  },
  { where: 'muted badge on the video', text: '#fecaca', background: 'rgb(0 0 0 / 0.45)', over: '#1e293b' },
  { where: 'initials on the video (2rem)', text: '#fff', background: '#3b82f6', large: true },
];

describe('colour contrast (WCAG AA) of both themes, from app.css', () => {
  for (const [name, theme] of Object.entries(themes())) {
    test(`${name} theme: every text colour pair is at least 4.5:1 (3:1 for large text)`, () => {
      const failures: string[] = [];
      const lines: string[] = [];
      for (const pair of PAIRS) {
        const over = pair.over === undefined ? undefined : colour(pair.over, theme);
        const ratio = contrast(colour(pair.text, theme), colour(pair.background, theme, over));
        const needed = pair.large === true ? 3 : 4.5;
        lines.push(`${ratio.toFixed(2).padStart(6)}:1  ${pair.where} (${pair.text} on ${pair.background})`);
        if (ratio < needed) failures.push(`${pair.where}: ${ratio.toFixed(2)}:1 < ${needed}:1`);
      }
      console.log(`${name} theme:\n${lines.join('\n')}`);
      assert.deepEqual(failures, []);
    });
  }

  test('every colour variable the stylesheet draws text or a background with is in the list above', () => {
    const used = (property: RegExp) =>
      new Set([...CSS.matchAll(property)].map((match) => match[1] as string));
    const texts = new Set(PAIRS.map((pair) => pair.text));
    const backgrounds = new Set(PAIRS.map((pair) => pair.background));
    const textVariables = used(/(?:^|[\s;{])(?:color|--control-fg):\s*(var\(--[\w-]+\))\s*;/g);
    const backgroundVariables = used(/(?:^|[\s;{])(?:background|--control-bg):\s*(var\(--[\w-]+\))\s*;/g);
    assert.ok(textVariables.size > 5 && backgroundVariables.size > 5, 'the declarations were found');
    assert.deepEqual(
      [...textVariables].filter((value) => !texts.has(value)),
      [],
      'text colours not checked',
    );
    assert.deepEqual(
      [...backgroundVariables].filter((value) => !backgrounds.has(value)),
      [],
      'backgrounds not checked',
    );
  });

  test('the measure itself: white on black is 21:1, white on the old green #16a34a 3.3:1', () => {
    assert.equal(contrast([255, 255, 255], [0, 0, 0]).toFixed(1), '21.0');
    assert.equal(contrast([255, 255, 255], [0x16, 0xa3, 0x4a]).toFixed(1), '3.3');
  });
});
