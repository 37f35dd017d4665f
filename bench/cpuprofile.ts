// Summarizes a V8 .cpuprofile (node --cpu-prof) by module and by layer of the stack: express,
// express-openapi-validator, prisma, pg, pino, helmet, node core, the app's own files, GC.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const LAYERS: Array<[string, RegExp]> = [
  [
    'express-openapi-validator (+ajv)',
    /^(express-openapi-validator|ajv|ajv-formats|ajv-draft-04|fast-deep-equal|fast-uri|json-schema-traverse|@apidevtools\/.*|lodash.*|json-schema-ref-parser|path-to-regexp@eov|multer|@jsdevtools\/ono|js-yaml|lodash)$/,
  ],
  ['prisma (client, query compiler, adapter)', /^(@prisma\/.*|prisma-wasm|decimal\.js)$/],
  [
    'pg (driver)',
    /^(pg|pg-protocol|pg-pool|pg-types|pg-int8|postgres-array|postgres-date|postgres-interval|postgres-bytea|pg-connection-string|pgpass|split2)$/,
  ],
  ['pglite (embedded database)', /^(@electric-sql\/pglite|pglite-prisma-adapter|pglite-wasm)$/],
  [
    'pino (logging)',
    /^(pino|pino-http|pino-std-serializers|sonic-boom|fast-redact|@pinojs\/.*|thread-stream|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify|fast-safe-stringify)$/,
  ],
  ['helmet', /^helmet$/],
  [
    'express (+router, body-parser, path-to-regexp)',
    /^(express|router|media-typer|content-type|body-parser|raw-body|finalhandler|send|serve-static|on-finished|type-is|qs|iconv-lite|depd|statuses|http-errors|mime-types|mime-db|accepts|negotiator|vary|encodeurl|escape-html|parseurl|cookie|cookie-signature|fresh|range-parser|merge-descriptors|content-disposition|proxy-addr|forwarded|ipaddr\.js|unpipe|ee-first|destroy|setprototypeof|toidentifier|inherits|side-channel.*|call-bind.*|call-bound|get-intrinsic|get-proto|es-.*|has-symbols|has-tostringtag|function-bind|hasown|gopd|object-inspect|math-intrinsics|dunder-proto|path-to-regexp|bytes|debug|ms|is-promise|once|wrappy|etag|cors|object-assign)$/,
  ],
  [
    'rate-limit / redis',
    /^(rate-limiter-flexible|ioredis|@ioredis\/.*|redis-errors|redis-parser|cluster-key-slot|denque|standard-as-callback|lodash\.defaults|lodash\.isarguments)$/,
  ],
  ['zod', /^zod$/],
  ['yaml (docs route renders the contract as YAML at start)', /^yaml$/],
];

/** The module a frame belongs to: a package, `app:<file>`, `node:<area>`, or a V8 pseudo-frame. */
export function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program)';
    if (functionName === '(root)') return '(root)';
    return '';
  }
  if (url.startsWith('wasm://')) return 'wasm';
  if (url.startsWith('node:')) {
    const path = url.slice(5).replace(/^internal\//, '');
    if (/^_http_|^http$|^https$/.test(path)) return 'node:http';
    if (/^(net|stream_base_commons|dns)$/.test(path)) return 'node:net';
    return `node:${path.split('/')[0]}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    // express-openapi-validator vendors its own path-to-regexp; keep it with the validator.
    if (pkg === 'path-to-regexp' && url.includes('express-openapi-validator')) return 'path-to-regexp@eov';
    return pkg;
  }
  const app = /\/(?:dist\/)?(server|generated)\/(.*)$/.exec(url);
  if (app) return `app:${app[1]}/${app[2]}`;
  return url.replace(/^file:\/\//, '');
}

export function layerOf(module: string): string {
  if (module.startsWith('app:'))
    return `app (${module
      .slice(4)
      .replace(/^server\//, '')
      .replace(/\.js$/, '')})`;
  if (module.startsWith('node:')) return 'node core (http, net, streams, timers...)';
  if (module === '(gc)') return 'V8 garbage collector';
  if (module === '(program)') return 'V8/native, unattributed (program)';
  for (const [layer, re] of LAYERS) if (re.test(module)) return layer;
  return `other: ${module}`;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  /** Self time (builtins charged to the calling module) by layer, descending. */
  selfByLayer: Array<{ layer: string; ms: number; pctOfBusy: number }>;
  /** Time with the layer anywhere on the stack (includes what it calls), by layer. */
  inclusiveByLayer: Array<{ layer: string; ms: number; pctOfBusy: number }>;
  selfByModule: Array<{ module: string; ms: number; pctOfBusy: number }>;
  topFunctions: Array<{ fn: string; module: string; ms: number; pctOfBusy: number }>;
  /** Functions by time with them anywhere on the stack (what they and their callees cost). */
  topInclusiveFunctions: Array<{ fn: string; ms: number; pctOfBusy: number }>;
}

/**
 * `window` (µs, in the profile's clock) limits the summary to the load phase. Builtins and natives (frames
 * without a URL) are charged to the nearest caller that has one, so `JSON.stringify` called by the
 * validator counts for the validator; wasm frames are charged as prisma's query compiler, or to pglite
 * when pglite is on the stack.
 */
export function summarize(profile: CpuProfile, window?: { from: number; to: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const stackCache = new Map<number, { self: string; layers: Set<string>; label: string; module: string; labels: Set<string> }>();
  const resolve = (id: number) => {
    let hit = stackCache.get(id);
    if (hit) return hit;
    const frames: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) frames.push(byId.get(cur)!);
    const modules = frames.map((f) => moduleOf(f.callFrame));
    const onStackPglite = modules.some((m) => m === '@electric-sql/pglite' || m === 'pglite-prisma-adapter');
    const fix = (m: string) => (m === 'wasm' ? (onStackPglite ? 'pglite-wasm' : 'prisma-wasm') : m);
    let self = fix(modules[0]!);
    if (self === '') self = fix(modules.find((m) => m !== '' && !m.startsWith('(')) ?? '(program)');
    const layers = new Set(modules.filter((m) => m !== '' && !m.startsWith('(')).map((m) => layerOf(fix(m))));
    const labelOf = (f: CallFrame) => {
      const file = f.url ? f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(dist\/)?/, '') : '(native)';
      return `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    };
    const label = labelOf(frames[0]!.callFrame);
    // Functions with a URL anywhere on the stack, each once (recursion is not double counted).
    const labels = new Set(
      frames
        .filter((fr) => fr.callFrame.url && !fr.callFrame.url.startsWith('node:internal/process/task_queues'))
        .map((fr) => labelOf(fr.callFrame)),
    );
    hit = { self, layers, label, module: self, labels };
    stackCache.set(id, hit);
    return hit;
  };

  const selfModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const fns = new Map<string, { module: string; us: number }>();
  const inclusiveFns = new Map<string, number>();
  let t = profile.startTime;
  let idle = 0;
  let busy = 0;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (window && (t < window.from || t > window.to)) continue;
    total += dt;
    const node = byId.get(profile.samples[i]!)!;
    const name = node.callFrame.functionName;
    if (!node.callFrame.url && (name === '(idle)' || name === '(root)')) {
      idle += dt;
      continue;
    }
    busy += dt;
    const r = resolve(node.id);
    selfModule.set(r.self, (selfModule.get(r.self) ?? 0) + dt);
    for (const l of r.layers) inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    const fn = fns.get(r.label) ?? { module: r.module, us: 0 };
    fn.us += dt;
    fns.set(r.label, fn);
    for (const l of r.labels) inclusiveFns.set(l, (inclusiveFns.get(l) ?? 0) + dt);
  }
  const selfLayer = new Map<string, number>();
  for (const [m, us] of selfModule) selfLayer.set(layerOf(m), (selfLayer.get(layerOf(m)) ?? 0) + us);
  const ms = (us: number) => Math.round(us / 100) / 10;
  const pct = (us: number) => (busy ? Math.round((us / busy) * 1000) / 10 : 0);
  const sorted = <K extends string>(m: Map<string, number>, key: K) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([k, us]) => ({ [key]: k, ms: ms(us), pctOfBusy: pct(us) }) as { [P in K]: string } & { ms: number; pctOfBusy: number });
  return {
    windowMs: ms(total),
    busyMs: ms(busy),
    idleMs: ms(idle),
    selfByLayer: sorted(selfLayer, 'layer'),
    inclusiveByLayer: sorted(inclusive, 'layer'),
    selfByModule: sorted(selfModule, 'module').slice(0, 40),
    topFunctions: [...fns]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, 40)
      .map(([fn, v]) => ({ fn, module: v.module, ms: ms(v.us), pctOfBusy: pct(v.us) })),
    topInclusiveFunctions: [...inclusiveFns]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 300)
      .map(([fn, us]) => ({ fn, ms: ms(us), pctOfBusy: pct(us) })),
  };
}

export function loadProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

export function formatSummary(s: ProfileSummary, requests?: number): string {
  const perReq = (ms: number) => (requests ? `  ${((ms * 1000) / requests).toFixed(0).padStart(5)} us/req` : '');
  const lines = [
    `window ${s.windowMs} ms: busy ${s.busyMs} ms, idle ${s.idleMs} ms${requests ? `, ${requests} requests, ${((s.busyMs * 1000) / requests).toFixed(0)} us CPU/req on the main thread` : ''}`,
    '',
    'self time by layer (builtins charged to their caller):',
    ...s.selfByLayer.map((l) => `  ${l.pctOfBusy.toFixed(1).padStart(5)}%  ${l.ms.toFixed(0).padStart(7)} ms${perReq(l.ms)}  ${l.layer}`),
    '',
    'inclusive time by layer (layer anywhere on the stack):',
    ...s.inclusiveByLayer
      .slice(0, 20)
      .map((l) => `  ${l.pctOfBusy.toFixed(1).padStart(5)}%  ${l.ms.toFixed(0).padStart(7)} ms${perReq(l.ms)}  ${l.layer}`),
    '',
    'self time by module (top 25):',
    ...s.selfByModule.slice(0, 25).map((m) => `  ${m.pctOfBusy.toFixed(1).padStart(5)}%  ${m.ms.toFixed(0).padStart(7)} ms  ${m.module}`),
    '',
    'top functions by self time:',
    ...s.topFunctions
      .slice(0, 30)
      .map((f) => `  ${f.pctOfBusy.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(7)} ms  ${f.fn}  [${f.module}]`),
    '',
    'top functions by inclusive time (the function and everything it calls synchronously):',
    ...s.topInclusiveFunctions
      .slice(0, 45)
      .map((f) => `  ${f.pctOfBusy.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(7)} ms${perReq(f.ms)}  ${f.fn}`),
  ];
  return lines.join('\n');
}
