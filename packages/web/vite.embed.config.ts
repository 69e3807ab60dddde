import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * `dist/embed.js`, the call button other sites load (`GET /embed.js`, docs/embed.md): one classic script
 * (an IIFE, so that `document.currentScript` names it), no chunks, minified. Built after the pages, into
 * the same `dist/` (not emptied).
 */
export default defineConfig({
  root: here('.'),
  publicDir: false,
  build: {
    outDir: here('dist'),
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    copyPublicDir: false,
    lib: {
      entry: here('src/embed/embed.ts'),
      formats: ['iife'],
      name: 'pbxPeersEmbed',
      fileName: () => 'embed.js',
    },
  },
});
