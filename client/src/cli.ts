#!/usr/bin/env node
// The `alumia` command (see `alumia --help`). The library itself is in index.ts.
import { main } from './cli/program.js';

process.exitCode = await main({
  argv: process.argv.slice(2),
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
