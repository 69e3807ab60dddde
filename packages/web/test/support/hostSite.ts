import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A sample business website on its own origin, for the call button's tests (embed.test.ts): it loads
 * `embed.js` from the pbx-peers server with one script tag, under its own strict CSP that allows exactly
 * what docs/embed.md says a site must allow. Reached as `http://localhost:PORT` (an origin given to
 * `--embed-origins`) or `http://127.0.0.1:PORT` (the same pages from an origin that is not).
 *
 * Pages: `/plain`, `/hostile` (plus a stylesheet that tries to wreck everything), `/inline` (the
 * `<pbx-call-button>` element in the text) and `/no-csp`.
 */
export interface HostSite {
  port: number;
  /** `http://localhost:PORT`. */
  url: string;
  /** `http://127.0.0.1:PORT`: the same server, another origin. */
  otherOriginUrl: string;
  /** The pbx-peers server the pages load the button from; set once it is started. */
  pbxUrl: string;
  extensionId: string;
  close(): Promise<void>;
}

/** Everything a site's CSS can do to its elements, all at once and `!important`. */
export const HOSTILE_CSS = `
*, *::before, *::after { all: unset !important; font-size: 40px !important; line-height: 3 !important; }
* { --c: red !important; --t: lime !important; }
html, body, div, span, button, iframe, svg, p {
  display: block !important; color: red !important; background: yellow !important;
  border: 5px dotted lime !important; padding: 30px !important; margin: 10px !important;
  font-family: "Comic Sans MS", cursive !important; letter-spacing: 10px !important;
}
button { width: 10px !important; height: 10px !important; opacity: 0.2 !important; }
pbx-call-button, [floating], body > * {
  display: none !important; position: absolute !important; top: 0 !important; left: 0 !important;
  transform: scale(3) rotate(45deg) !important; filter: invert(1) !important; zoom: 2 !important;
  visibility: hidden !important; opacity: 0 !important; width: 1px !important; overflow: hidden !important;
}
iframe { visibility: hidden !important; width: 1px !important; height: 1px !important; }
`;

const SITE_CSS = `
body { margin: 0; font: 17px/1.55 Georgia, "Times New Roman", serif; color: #1f2937; background: #fbf7f0; }
header { background: #0f3d3e; color: #fff; padding: 22px 48px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 32px; }
@media (max-width: 600px) { header { padding: 18px 20px; } h2 { font-size: 28px; } }
header h1 { margin: 0; font-size: 26px; letter-spacing: .5px; }
nav a { color: #d1fae5; margin-right: 20px; text-decoration: none; }
main { max-width: 760px; margin: 0 auto; padding: 40px 24px 120px; }
h2 { font-size: 34px; margin: 0 0 12px; color: #0f3d3e; }
.hours { background: #fff; border: 1px solid #e5ddd0; border-radius: 12px; padding: 16px 20px; }
`;

function page(body: string, extraCss: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Harbour Plumbing</title>
<link rel="stylesheet" href="/site.css">
${extraCss ? '<link rel="stylesheet" href="/hostile.css">' : ''}
</head>
<body>
<header><h1>Harbour Plumbing</h1><nav><a href="#">Services</a><a href="#">Prices</a><a href="#">Contact</a></nav></header>
<main>
<h2>Leaks fixed the same day</h2>
<p>Burst pipe, dripping tap or a boiler that will not start: talk to one of our plumbers now, face to face, from this page. No app, no phone number.</p>
${body}
<p class="hours">Open Monday to Saturday, 8:00 to 18:00.</p>
</main>
</body>
</html>`;
}

/** Exactly what docs/embed.md tells a site with a CSP to allow for the button (no inline scripts or styles). */
function siteCsp(pbxUrl: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${pbxUrl}`,
    `connect-src 'self' ${pbxUrl}`,
    `frame-src ${pbxUrl}`,
    "style-src 'self'",
    "img-src 'self'",
  ].join('; ');
}

export async function startHostSite(extensionId: string): Promise<HostSite> {
  let server: Server | undefined;
  const site: HostSite = {
    port: 0,
    url: '',
    otherOriginUrl: '',
    pbxUrl: '',
    extensionId,
    close: async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    },
  };
  server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const script = `<script src="${site.pbxUrl}/embed.js" data-extension="${site.extensionId}" async></script>`;
    const html = (body: string, hostile = false, csp = true) => {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        ...(csp ? { 'content-security-policy': siteCsp(site.pbxUrl) } : {}),
      });
      response.end(page(body, hostile));
    };
    switch (path) {
      case '/site.css':
      case '/hostile.css':
        response.writeHead(200, { 'content-type': 'text/css; charset=utf-8' });
        response.end(path === '/site.css' ? SITE_CSS : HOSTILE_CSS);
        return;
      case '/favicon.ico':
        response.writeHead(204);
        response.end();
        return;
      case '/plain':
        return html(script);
      case '/hostile':
        return html(script, true);
      case '/no-csp':
        return html(script, false, false);
      case '/inline':
        return html(
          `<p>Or use this button: <pbx-call-button extension="${site.extensionId}" label="Talk to a plumber" color="#0f3d3e"></pbx-call-button></p>
<script src="${site.pbxUrl}/embed.js" async></script>`,
        );
      default:
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  site.port = (server.address() as AddressInfo).port;
  site.url = `http://localhost:${site.port}`;
  site.otherOriginUrl = `http://127.0.0.1:${site.port}`;
  return site;
}
