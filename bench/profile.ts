// CPU profile of the built server under one scenario's load:
//   npx tsx bench/profile.ts [--scenario get-by-id] [--connections 32] [--duration 10] [--db postgres|embedded]
//                            [--env VALIDATE_RESPONSES=0] [--keep]
// Seeds a fresh database like bench/run.ts, starts `node --cpu-prof dist/server/main.js` pinned to core 1,
// drives the scenario from core 0, stops the server with SIGINT (the profile is written on exit), and
// prints where the main thread's time went during the load, by layer, module and function. The summary
// is written to bench/results/<date>-<host>.profile-<scenario>.json; --keep also keeps the .cpuprofile.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, loadProfile, summarize } from './cpuprofile.js';
import { buildInfo, ensureBuild, snapshotBuild } from './build.js';
import { ROOT, log } from './lib.js';
import { SCENARIOS, drive, probe, walkCursor, wrongKeys, type Target } from './load.js';
import { LOCAL_ADMIN_URL, assertLoopback } from './postgres.js';
import { pinSelf, stopAllProcesses, stopProcess } from './processes.js';
import { createPostgresDatabase, seedEmbedded, seedPostgres, startServer, useServerEntry, type PostgresBench } from './setup.js';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'get-by-id' },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    db: { type: 'string', default: 'postgres' },
    env: { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});

const STARTUP = args.scenario === 'startup';
const scenario = STARTUP ? SCENARIOS[0] : SCENARIOS.find((s) => s.name === args.scenario);
if (!scenario) throw new Error(`unknown scenario ${args.scenario}; one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
const connections = Number(args.connections);
const duration = Number(args.duration);
const extraEnv = Object.fromEntries(args.env.map((kv) => kv.split('=', 2) as [string, string]));

let tmp: string | undefined;
let snapshot: ReturnType<typeof snapshotBuild> | undefined;
let built: ReturnType<typeof buildInfo> | undefined;
let pgBench: PostgresBench | undefined;
async function cleanup() {
  await stopAllProcesses();
  await pgBench?.drop().catch(() => {});
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  snapshot?.remove();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void cleanup().finally(() => process.exit(130)));
setTimeout(
  () => {
    log('profile: over its time budget, stopping');
    void cleanup().finally(() => process.exit(2));
  },
  (duration + 600) * 1000,
).unref();

async function main() {
  pinSelf(0);
  ensureBuild(args['no-build'] ? 'never' : 'auto');
  built = buildInfo();
  snapshot = snapshotBuild();
  useServerEntry(snapshot.entry);
  log(
    `profile: commit ${built.commit}${built.uncommittedServerChanges ? ' + uncommitted server changes' : ''}, dist/server ${built.distServerSha256}`,
  );
  tmp = mkdtempSync(join(tmpdir(), 'alumia-profile-'));
  const profDir = join(tmp, 'prof');
  mkdirSync(profDir);
  if (STARTUP) return profileStartup(profDir);
  let db: { url: string } | { dataDir: string };
  let seed;
  if (args.db === 'embedded') {
    db = { dataDir: join(tmp, 'data') };
    seed = await seedEmbedded(db.dataDir);
  } else {
    const adminUrl = process.env.DATABASE_URL ?? LOCAL_ADMIN_URL;
    assertLoopback(adminUrl);
    pgBench = await createPostgresDatabase(adminUrl);
    seed = await seedPostgres(pgBench.url);
    db = { url: pgBench.url };
  }
  log(`profile: seeded (${seed.ms} ms); starting the server with --cpu-prof`);
  const server = await startServer({
    db,
    core: 1,
    logFile: join(tmp, 'server.log'),
    env: extraEnv,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=200'],
  });
  const deepCursor = scenario!.name === 'list-deep' ? (await walkCursor(server.url, seed.keys[0]!, 150)).cursor : '';
  const target: Target = { seed, deepCursor, wrongKeys: wrongKeys() };
  const make = scenario!.request(target);
  const first = await probe(server.url, make());
  log(`profile: probe ${first.status}`);
  await drive({ url: server.url, connections, duration: 3, warmup: 0, make, expect: scenario!.expect });
  const from = performance.now() - server.proc.startedAt;
  const m = await drive({
    url: server.url,
    connections,
    duration,
    warmup: 0,
    make,
    expect: scenario!.expect,
    serverPid: server.proc.pid,
    collectSlugs: scenario!.creates,
  });
  const to = performance.now() - server.proc.startedAt;
  log(
    `profile: ${scenario!.name} c=${connections}: ${m.rps} rps, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.requests} requests, CPU ${m.serverCpuUsPerReq} us/req, non2xx ${m.non2xx}`,
  );
  await stopProcess(server.proc, 'SIGINT', 20_000);

  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const profile = loadProfile(join(profDir, file));
  // The profile clock starts with the process: keep the samples of the measured load only.
  const summary = summarize(profile, { from: profile.startTime + from * 1000, to: profile.startTime + to * 1000 });
  process.stdout.write(
    `\n${scenario!.name} @ ${connections} connections, ${args.db}${args.env.length ? ` [${args.env.join(' ')}]` : ''}\n`,
  );
  process.stdout.write(formatSummary(summary, m.requests) + '\n');

  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const tag = `${new Date().toISOString().slice(0, 10)}-${hostname()}.profile-${scenario!.name}${args.db === 'embedded' ? '-embedded' : ''}${args.env.length ? `-${args.env.join('-').replace(/[^A-Za-z0-9_-]/g, '_')}` : ''}`;
  writeFileSync(
    join(results, `${tag}.json`),
    JSON.stringify(
      { scenario: scenario!.name, connections, db: args.db, env: extraEnv, build: built, date: new Date().toISOString(), load: m, summary },
      null,
      2,
    ) + '\n',
  );
  log(`profile: summary in bench/results/${tag}.json`);
  if (args.keep) {
    copyFileSync(join(profDir, file), join(results, `${tag}.cpuprofile`));
    log(`profile: raw profile in bench/results/${tag}.cpuprofile (open in Chrome DevTools > Performance)`);
  }
}

/**
 * Where start-up time goes: the server is started once to migrate (embedded: a fresh data dir; postgres: a
 * fresh database), then again with --cpu-prof and stopped as soon as /readyz answers 200.
 */
async function profileStartup(profDir: string) {
  let db: { url: string } | { dataDir: string };
  if (args.db === 'embedded') {
    db = { dataDir: join(tmp!, 'data') };
  } else {
    const adminUrl = process.env.DATABASE_URL ?? LOCAL_ADMIN_URL;
    assertLoopback(adminUrl);
    pgBench = await createPostgresDatabase(adminUrl);
    db = { url: pgBench.url };
  }
  const first = await startServer({ db, core: 1, logFile: join(tmp!, 'server.log'), env: extraEnv });
  await first.stop();
  const server = await startServer({
    db,
    core: 1,
    logFile: join(tmp!, 'server.log'),
    env: extraEnv,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=200'],
  });
  const readyMs = server.readyMs;
  await stopProcess(server.proc, 'SIGINT', 20_000);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const profile = loadProfile(join(profDir, file));
  const summary = summarize(profile, { from: profile.startTime, to: profile.startTime + readyMs * 1000 });
  process.stdout.write(
    `\nstartup to /readyz on a migrated ${args.db} database: ${Math.round(readyMs)} ms (first, migrating start: ${Math.round(first.readyMs)} ms)\n`,
  );
  process.stdout.write(formatSummary(summary) + '\n');
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const tag = `${new Date().toISOString().slice(0, 10)}-${hostname()}.profile-startup-${args.db}`;
  writeFileSync(
    join(results, `${tag}.json`),
    JSON.stringify(
      { scenario: 'startup', db: args.db, build: built, date: new Date().toISOString(), readyMs, firstReadyMs: first.readyMs, summary },
      null,
      2,
    ) + '\n',
  );
  if (args.keep) copyFileSync(join(profDir, file), join(results, `${tag}.cpuprofile`));
  log(`profile: summary in bench/results/${tag}.json`);
}

main()
  .then(() => cleanup().then(() => process.exit(0)))
  .catch(async (err: Error) => {
    log(`profile: failed: ${err.stack ?? err}`);
    await cleanup();
    process.exit(1);
  });
