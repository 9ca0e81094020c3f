import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The web UI's own build: React compiled by esbuild (no Babel), output served by `mooring server`.
export default defineConfig({
  root: resolve(import.meta.dirname),
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: resolve(import.meta.dirname, '../dist/ui'),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `npm run ui:dev` proxies the API to a running `mooring server` (MOORING_SERVER, default :8080).
    proxy: { '/api': process.env.MOORING_SERVER ?? 'http://127.0.0.1:8080' },
  },
});
