import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The web app: four pages built to `dist/` (served by packages/server at `/ext/<id>`, `/ext/<id>/agent`,
 * for unknown extensions and at `/`), their scripts and styles under `dist/assets/` with hashed names.
 * No inline scripts or styles are emitted, so the pages work under the server's strict CSP.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  build: {
    outDir: here('dist'),
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    // Every browser that has WebRTC supports <link rel="modulepreload">; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: {
        caller: here('caller.html'),
        agent: here('agent.html'),
        'not-found': here('not-found.html'),
        home: here('home.html'),
        admin: here('admin.html'),
      },
      // The code both pages share (the SDK, media, the peer connection) in one cached chunk.
      output: { chunkFileNames: 'assets/shared-[hash].js' },
    },
  },
  plugins: [devRoutes()],
  server: {
    // `npx vite` in packages/web serves the pages with hot reload; the signalling and API requests go to a
    // running pbx-peers server (PBX_PEERS_URL, default http://127.0.0.1:8080).
    proxy: {
      '/api': process.env.PBX_PEERS_URL ?? 'http://127.0.0.1:8080',
      '/admin/api': process.env.PBX_PEERS_URL ?? 'http://127.0.0.1:8080',
      '/peers': { target: process.env.PBX_PEERS_URL ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
});

/** In the dev server, maps the production URLs (`/ext/<id>`, `/ext/<id>/agent`) to the page files. */
function devRoutes(): Plugin {
  return {
    name: 'pbx-peers-dev-routes',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((request, _response, next) => {
        const path = (request.url ?? '').split('?')[0] ?? '';
        const query = (request.url ?? '').slice(path.length);
        if (/^\/ext\/[^/]+\/agent\/?$/.test(path)) request.url = `/agent.html${query}`;
        else if (/^\/ext\/[^/]+\/?$/.test(path)) request.url = `/caller.html${query}`;
        else if (/^\/admin(\/(?!api\/).*)?$/.test(path)) request.url = `/admin.html${query}`;
        next();
      });
    },
  };
}
