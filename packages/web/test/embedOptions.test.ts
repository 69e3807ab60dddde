/** The call button's attributes (src/embed/embedOptions.ts) without a browser: read, checked, defaulted. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AttributeReader,
  callerPageUrl,
  cssColor,
  DEFAULT_COLOR,
  DEFAULT_LABEL,
  originOf,
  readEmbedOptions,
  statusUrl,
  textOn,
} from '../src/embed/embedOptions.js';

const reader =
  (attributes: Record<string, string>): AttributeReader =>
  (name) =>
    attributes[name] ?? null;
const SCRIPT_ORIGIN = 'https://pbx.example.com';

describe('call button options', () => {
  test('defaults: "Call us", the app blue with white text, bottom right, the script origin', () => {
    assert.deepEqual(readEmbedOptions(reader({ extension: 'front' }), SCRIPT_ORIGIN), {
      extension: 'front',
      server: SCRIPT_ORIGIN,
      label: DEFAULT_LABEL,
      color: DEFAULT_COLOR,
      textColor: '#ffffff',
      corner: 'bottom-right',
    });
  });

  test('label, colour, corner and server as given; the server as an origin', () => {
    const options = readEmbedOptions(
      reader({
        extension: ' sales ',
        label: '  Talk   to   sales ',
        color: '#fde047',
        position: 'Top-Left',
        server: 'https://pbx.other.example:8443/some/path',
      }),
      SCRIPT_ORIGIN,
    );
    assert.deepEqual(options, {
      extension: 'sales',
      server: 'https://pbx.other.example:8443',
      label: 'Talk to sales',
      color: '#fde047',
      textColor: '#111111',
      corner: 'top-left',
    });
  });

  test('what is wrong is said, what is odd falls back to the default', () => {
    assert.match(String(readEmbedOptions(reader({}), SCRIPT_ORIGIN)), /no extension/);
    assert.match(String(readEmbedOptions(reader({ extension: 'front' }), undefined)), /no server/);
    assert.match(
      String(readEmbedOptions(reader({ extension: 'front', server: 'javascript:alert(1)' }), undefined)),
      /no server/,
    );
    const odd = readEmbedOptions(
      reader({ extension: 'front', color: 'red;}body{display:none', position: 'middle', label: '   ' }),
      SCRIPT_ORIGIN,
    );
    assert.ok(typeof odd !== 'string');
    assert.equal(odd.color, DEFAULT_COLOR);
    assert.equal(odd.corner, 'bottom-right');
    assert.equal(odd.label, DEFAULT_LABEL);
    const long = readEmbedOptions(reader({ extension: 'front', label: 'x'.repeat(100) }), SCRIPT_ORIGIN);
    assert.ok(typeof long !== 'string' && long.label.length === 40);
  });

  test('colours: hex, names and functions; nothing that could end the declaration', () => {
    for (const good of [
      '#fff',
      '#0f3d3e',
      '#0f3d3e80',
      'rebeccapurple',
      'rgb(15 61 62)',
      'hsl(200, 50%, 30%)',
    ]) {
      assert.equal(cssColor(good), good, good);
    }
    for (const bad of ['', 'red;', '#12', 'url(x)', 'rgb(1,2,3);x:y', 'var(--x)', '"red"', 'expression(1)']) {
      assert.equal(cssColor(bad), undefined, bad);
    }
  });

  test('text colour: white on dark, near-black on light', () => {
    assert.equal(textOn('#1d4ed8'), '#ffffff');
    assert.equal(textOn('#000'), '#ffffff');
    assert.equal(textOn('#ffffff'), '#111111');
    assert.equal(textOn('#fde047'), '#111111');
    assert.equal(textOn('navy'), '#ffffff');
  });

  test('URLs: the caller page with ?embed=1 and the status endpoint, the id encoded', () => {
    const options = { server: SCRIPT_ORIGIN, extension: 'a b/c' };
    assert.equal(callerPageUrl(options), 'https://pbx.example.com/ext/a%20b%2Fc?embed=1');
    assert.equal(statusUrl(options), 'https://pbx.example.com/api/extensions/a%20b%2Fc/status');
    assert.equal(originOf('ftp://x.example'), undefined);
    assert.equal(originOf('http://127.0.0.1:8080/embed.js'), 'http://127.0.0.1:8080');
  });
});
