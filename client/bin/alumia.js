#!/usr/bin/env node
// Launcher of the `alumia` command. In a checkout of the repository (src/ present) it runs the TypeScript
// source through tsx, so it never runs a stale build; in the published package it runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
const built = new URL('../dist/client/src/cli.js', import.meta.url);

let tsx;
if (existsSync(source)) {
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    // No tsx (a checkout without dev dependencies): fall back to the build.
  }
}
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write('error: the alumia CLI is not built: run npm run build -w @alumia/client\n');
  process.exitCode = 1;
}
