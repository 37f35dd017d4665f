// Judging and printing the chat bench (bench/chat.ts): the issue's chat targets from the rounds measured,
// and a table with one column per round and the median, so the spread between rounds is in plain sight.
import type { HoldResult, TtftResult } from './chat-load.js';
import { round } from './lib.js';
import type { Measurement } from './load.js';
import { fmt, type TargetCheck } from './report.js';

export interface ChatRound {
  ttft: TtftResult;
  getById: Measurement;
  chat: Measurement;
  /** What the database backends were doing during the chat run (% of backend samples). */
  chatBackends: Record<string, number>;
  hold: HoldResult;
}

/** The median proper: the mean of the middle two for an even count (two rounds give their mean). */
export function mid(list: number[]): number {
  const s = list.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length / 2;
  return Number.isInteger(m) ? (s[m - 1]! + s[m]!) / 2 : s[Math.floor(m)]!;
}

const ratioOf = (r: ChatRound) => (r.getById.rps > 0 ? r.chat.rps / r.getById.rps : NaN);
const pctText = (x: number) => `${Math.round(x * 100)}%`;
/** "median (per round: a, b)". */
const summary = (list: number[], show: (x: number) => string) => `${show(mid(list))} (per round: ${list.map(show).join(', ')})`;

export function chatTargets(rounds: ChatRound[], options: { connections: number; streams: number; rampS: number }): TargetCheck[] {
  const overhead = rounds.map((r) => r.ttft.overheadP50);
  const ratios = rounds.map(ratioOf);
  const peaks = rounds.map((r) => r.hold.rssMb.peak ?? NaN);
  const ms = (x: number) => `${fmt(x)} ms`;
  const failedRuns = rounds.flatMap((r, i) =>
    [
      ...(['getById', 'chat'] as const).map((k) => ({
        what: `${k} run`,
        bad: r[k].errors + r[k].timeouts + r[k].unexpected,
        codes: r[k].statusCodes,
      })),
      { what: 'TTFT requests', bad: r.ttft.failures.length, codes: r.ttft.failures.slice(0, 3) },
    ]
      .filter((x) => x.bad > 0)
      .map((x) => `round ${i + 1} ${x.what}: ${x.bad} (${JSON.stringify(x.codes)})`),
  );
  return [
    {
      target: 'chat time to first token at 1 connection: p50 through the server - p50 direct from the upstream <= 3 ms',
      value:
        `${summary(overhead, ms)}; direct p50 ${rounds.map((r) => fmt(r.ttft.directP50)).join(' / ')} ms, ` +
        `through the server ${rounds.map((r) => fmt(r.ttft.serverP50)).join(' / ')} ms`,
      pass: rounds.length ? mid(overhead) <= 3 : null,
    },
    {
      target: `non-streaming chat rps >= 50% of GET-by-id rps at ${options.connections} connections`,
      value:
        `${summary(ratios, pctText)}; chat ${rounds.map((r) => fmt(r.chat.rps, 0)).join(' / ')} rps, ` +
        `GET-by-id ${rounds.map((r) => fmt(r.getById.rps, 0)).join(' / ')} rps`,
      pass: rounds.length ? mid(ratios) >= 0.5 : null,
    },
    {
      target:
        `${options.streams} streams ${options.rampS ? `opened over ${options.rampS} s (--ramp: not the issue's burst)` : 'opened at once'}, ` +
        'all open together, 0 errors, every one ends with event: done (every round)',
      value: rounds
        .map(
          (r, i) => `round ${i + 1}: ${r.hold.completed}/${r.hold.streams} done, ${r.hold.errors} errors, ${r.hold.maxOpen} open at once`,
        )
        .join('; '),
      pass: rounds.length
        ? rounds.every((r) => r.hold.errors === 0 && r.hold.completed === r.hold.streams && r.hold.maxOpen === r.hold.streams)
        : null,
    },
    {
      target: `server RSS < 400 MB while holding ${options.streams} streams (every round)`,
      value: `peak ${peaks.map((p) => `${fmt(p, 0)} MB`).join(' / ')}`,
      pass: rounds.length ? Math.max(...peaks) < 400 : null,
    },
    {
      target: 'zero errors and only expected statuses in the chat, GET-by-id and TTFT requests',
      value: failedRuns.length ? failedRuns.join('; ') : 'none',
      pass: failedRuns.length === 0,
    },
  ];
}

export function printChat(rounds: ChatRound[], targets: TargetCheck[], options: { connections: number; streams: number }) {
  const c = options.connections;
  type Line = [label: string, value: (r: ChatRound) => number | null, digits?: number];
  const lines: Line[] = [
    ['TTFT p50 direct from the upstream, ms', (r) => r.ttft.directP50],
    ['TTFT p50 through the server, ms', (r) => r.ttft.serverP50],
    ['  overhead (difference of the p50s), ms', (r) => r.ttft.overheadP50],
    ['  median of per-pair differences, ms', (r) => r.ttft.pairedDiffP50],
    ['TTFT p90 direct / through the server, ms', (r) => r.ttft.directP90],
    ['', (r) => r.ttft.serverP90],
    ['TTFT p99 through the server, ms', (r) => r.ttft.serverP99],
    [`GET-by-id rps at ${c}`, (r) => r.getById.rps, 0],
    [`chat (non-streaming) rps at ${c}`, (r) => r.chat.rps, 0],
    ['  chat / GET-by-id', (r) => round(ratioOf(r), 3)],
    ['chat p50 / p99, ms', (r) => r.chat.p50],
    ['', (r) => r.chat.p99],
    ['chat CPU us/req: server / its pg backends', (r) => r.chat.serverCpuUsPerReq, 0],
    ['', (r) => r.chat.pgCpuUsPerReq, 0],
    ['GET-by-id CPU us/req: server / pg', (r) => r.getById.serverCpuUsPerReq, 0],
    ['', (r) => r.getById.pgCpuUsPerReq, 0],
    ['chat pg transactions / request', (r) => r.chat.pgXactPerReq],
    ['other load during chat, % of a core', (r) => r.chat.otherCpuPct, 0],
    [`held streams ended with done (of ${options.streams})`, (r) => r.hold.completed, 0],
    ['  errors', (r) => r.hold.errors, 0],
    ['  most open at once', (r) => r.hold.maxOpen, 0],
    ['  ms until all were open', (r) => r.hold.allOpenAfterMs, 0],
    ['  first delta p50 / p99 in the burst, ms', (r) => r.hold.firstDeltaP50, 0],
    ['', (r) => r.hold.firstDeltaP99, 0],
    ['  server RSS before / peak / after, MB', (r) => r.hold.rssMb.before, 0],
    ['', (r) => r.hold.rssMb.peak, 0],
    ['', (r) => r.hold.rssMb.after, 0],
  ];
  // Lines with an empty label continue the previous one ("a / b"): joined into one cell per round.
  const rows: Array<{ label: string; cells: string[]; median: string }> = [];
  for (const [label, value, digits = 2] of lines) {
    const values = rounds.map(value).map((v) => v ?? NaN);
    const cells = values.map((v) => fmt(v, digits));
    const median = fmt(mid(values), digits);
    const last = rows.at(-1);
    if (label === '' && last) {
      last.cells = last.cells.map((x, i) => `${x} / ${cells[i]}`);
      last.median = `${last.median} / ${median}`;
    } else rows.push({ label, cells, median });
  }
  const header = { label: '', cells: rounds.map((_, i) => `round ${i + 1}`), median: 'median' };
  const all = [header, ...rows];
  const w0 = Math.max(...all.map((r) => r.label.length));
  const wc = rounds.map((_, i) => Math.max(...all.map((r) => r.cells[i]!.length)));
  const wm = Math.max(...all.map((r) => r.median.length));
  const out = all.map((r) => [r.label.padEnd(w0), ...r.cells.map((x, i) => x.padStart(wc[i]!)), r.median.padStart(wm)].join('   '));
  const backends = rounds.map(
    (r, i) =>
      `  round ${i + 1}: ${Object.entries(r.chatBackends)
        .slice(0, 5)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ')}`,
  );
  process.stdout.write(
    [
      '',
      `chat bench, PostgreSQL, ${rounds.length} round(s)`,
      '',
      ...out,
      '',
      'TTFT: POST to the first content chunk (direct, stream: true) or to the first `event: delta` (POST /sessions/:id/chat, stream: true),',
      '  sequential over keep-alive connections, direct and through the server alternating. CPU us/req as in the full bench.',
      'database backends during the chat run (share of samples; idle in transaction = a transaction waiting for the server):',
      ...backends,
      '',
      'targets:',
      ...targets.map((t) => `  ${t.pass === null ? '?   ' : t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.value}`),
      '',
    ].join('\n') + '\n',
  );
}
