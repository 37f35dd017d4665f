// The stand-in model provider of the chat bench (bench/chat.ts) in a process of its own:
//   node --import tsx bench/upstream-process.ts '<Behavior as JSON>'
// test/helpers/upstream.ts's real node:http server speaking the OpenAI Chat Completions wire format, with
// the fallback behavior given on the command line, so it needs no control channel: the bench starts one
// process per behavior (a fast one, a slowly streaming one). Running it outside the bench process keeps the
// load generator, the server and the upstream on three event loops. Prints `UPSTREAM_PORT=<port>` once
// listening; exits on SIGTERM/SIGINT.
import { startUpstream, type Behavior } from '../test/helpers/upstream.js';

const behavior = JSON.parse(process.argv[2] ?? '{"kind":"reply"}') as Behavior;
if (behavior.kind !== 'reply') throw new Error(`upstream-process: only 'reply' behaviors make sense for a bench, got ${behavior.kind}`);

const upstream = await startUpstream();
upstream.setFallback(behavior);

// The helper records every request for tests to inspect; in a bench that is an unbounded leak (and the
// recorded bodies grow with the sessions' history). reset() clears them and restores the echo fallback,
// so the behavior is set again at once (same tick: no request can see the echo in between).
setInterval(() => {
  upstream.reset();
  upstream.setFallback(behavior);
}, 1_000).unref();

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void upstream.close().finally(() => process.exit(0));
  });
}

process.stdout.write(`UPSTREAM_PORT=${upstream.port}\n`);
