import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The server serves the build at /dashboard from dist/dashboard at the repository root (as dist/docs).
// Everything is emitted as files (no inline script or style), so the server's strict CSP holds.
export default defineConfig({
  root: here('.'),
  base: '/dashboard/',
  plugins: [preact()],
  // The client's sources, not its built package: one build step, and the page always matches the SDK.
  resolve: { alias: { '@alumia/client': here('../src/index.ts') } },
  build: {
    outDir: here('../../dist/dashboard'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
