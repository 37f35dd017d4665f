// npm run bench -- --chat [--rounds 2] [--duration 10] [--warmup 2] [--connections 32] [--streams 1000] [--quick]
//
// The chat targets of the issue, on PostgreSQL, in one run, against test/helpers/upstream.ts in processes of
// their own (bench/upstream-process.ts): a fast one behind provider xai (model grok-3) and one that streams
// slowly behind provider openai (model gpt-4.1-mini), so the slow behavior needs neither a control channel
// nor a server restart. The server is pinned to core 1 as in the full run; this process (the load generator)
// and both upstreams to core 0, so the upstreams take nothing from the server's core. Each round measures:
//   1. time to first token at 1 connection, straight from the upstream and through POST /chat (stream: true),
//   2. non-streaming chat rps and GET /agents/:id rps at 32 connections (alternating which goes first),
//   3. 1,000 streamed chats opened at once and held ~10 s (--hold), with the server's RSS sampled meanwhile.
// Set-up is in bench/chat-setup.ts, the client side in bench/chat-load.ts; bench/chat-report.ts judges and
// prints the rounds. The result goes to bench/results/<date>-<host>.chat.json.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildInfo, ensureBuild, snapshotBuild } from './build.js';
import { holdStreams, measureTtft } from './chat-load.js';
import { chatTargets, printChat, type ChatRound } from './chat-report.js';
import {
  FAST,
  GRANT_MICRO,
  LOADGEN_CORE,
  UPSTREAM_KEY,
  chatRequest,
  createFixtures,
  directRequest,
  grantCredits,
  logProblems,
  openFilesLimit,
  sampleBackends,
  slowBehavior,
  startUpstreamProcess,
} from './chat-setup.js';
import { formatSummary, loadProfile, summarize, type ProfileSummary } from './cpuprofile.js';
import { log, sleep } from './lib.js';
import { SCENARIOS, drive, type Measurement, type Target } from './load.js';
import { calibrate, machineInfo, rssMb, waitQuiet } from './machine.js';
import { LOCAL_ADMIN_URL, assertLoopback, serverVersion } from './postgres.js';
import { pinSelf, runBounded, stopAllProcesses, stopProcess } from './processes.js';
import { writeResult } from './report.js';
import {
  createPostgresDatabase,
  databaseMonitor,
  seedPostgres,
  startServer,
  useServerEntry,
  warmupServer,
  type PostgresBench,
} from './setup.js';

export interface ChatOptions {
  rounds: number;
  duration: number;
  warmup: number;
  warmupServerS: number;
  connections: number;
  streams: number;
  /** Seconds each held stream lasts. */
  holdS: number;
  /** Seconds over which the held streams are opened; 0 opens them all at once (the target). */
  rampS: number;
  ttftRequests: number;
  build: 'auto' | 'always' | 'never';
  json: boolean;
  quick: boolean;
  /** Runs the server under --cpu-prof and summarizes the last round's phases (the numbers are then not comparable). */
  profile: boolean;
  waitQuiet?: number;
}

const SERVER_CORE = 1;

export function runChat(options: ChatOptions) {
  let tmp: string | undefined;
  let db: PostgresBench | undefined;
  let admin: pg.Client | undefined;
  let snapshot: ReturnType<typeof snapshotBuild> | undefined;
  let cleaning: Promise<void> | undefined;
  const startedAt = new Date();
  const cleanup = () =>
    (cleaning ??= (async () => {
      await stopAllProcesses();
      await admin?.end().catch(() => {});
      await db?.drop().catch((err: Error) => log(`cleanup: could not drop ${db?.name}: ${err.message}`));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      snapshot?.remove();
    })());

  async function main() {
    if (options.waitQuiet) log(`chat: 1-minute load average ${await waitQuiet(1.5, options.waitQuiet)} when starting`);
    const pinned = pinSelf(LOADGEN_CORE);
    const calibration = { start: calibrate(SERVER_CORE), end: null as number | null };
    const nofile = openFilesLimit();
    log(
      `chat: ${options.rounds} round(s): TTFT ${options.ttftRequests} pairs at 1 connection; chat vs GET-by-id at ${options.connections} connections, ` +
        `${options.duration} s each (+${options.warmup} s warm-up); ${options.streams} streams held at once; open-files limit ${nofile}; ` +
        `${pinned ? `server on core ${SERVER_CORE}, load generator and upstreams on core ${LOADGEN_CORE}` : 'no pinning'}; budget ${budgetS} s`,
    );
    // Each held stream costs the server two sockets (the client's and the upstream's) and this process one.
    if (nofile !== null && nofile < options.streams * 2 + 200)
      log(`chat: ! open-files limit ${nofile} is too low for ${options.streams} streams`);
    ensureBuild(options.build);
    const build = buildInfo();
    snapshot = snapshotBuild();
    useServerEntry(snapshot.entry);
    log(
      `build: commit ${build.commit}${build.uncommittedServerChanges ? ' + uncommitted server changes' : ''}, dist/server ${build.distServerSha256}`,
    );

    const adminUrl = process.env.DATABASE_URL ?? LOCAL_ADMIN_URL;
    assertLoopback(adminUrl);
    tmp = mkdtempSync(join(tmpdir(), 'alumia-bench-chat-'));
    const profDir = join(tmp, 'prof');
    db = await createPostgresDatabase(adminUrl, { suffix: 'chat' });
    const seed = await seedPostgres(db.url);
    await grantCredits(db.url, seed.orgId);
    log(`chat: database ${db.name} seeded in ${seed.ms} ms; ${Number(GRANT_MICRO / 1_000_000n)} credits granted`);
    const fast = await startUpstreamProcess(FAST, join(tmp, 'upstream-fast.log'));
    const slowReply = slowBehavior(options.holdS);
    const slow = await startUpstreamProcess(slowReply, join(tmp, 'upstream-slow.log'));
    const server = await startServer({
      db: { url: db.url },
      core: SERVER_CORE,
      logFile: join(tmp, 'server.log'),
      env: {
        XAI_API_KEY: UPSTREAM_KEY,
        XAI_BASE_URL: `${fast.url.origin}/v1`,
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: `${slow.url.origin}/v1`,
      },
      nodeFlags: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=200'] : [],
    });
    const rssAtStart = rssMb(server.proc.pid);
    log(
      `chat: server pid ${server.proc.pid} ready in ${Math.round(server.readyMs)} ms, RSS ${rssAtStart} MB; ` +
        `upstreams on ${fast.url.port} (fast), ${slow.url.port} (slow)${options.profile ? '; server under --cpu-prof' : ''}`,
    );
    const sessions = await createFixtures(server.url, seed, Math.max(options.streams, 1_000));
    log(`chat: ${sessions.fast.length} + ${sessions.slow.length} sessions created`);
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const monitor = databaseMonitor(admin, db.name);

    // Chats go round-robin over 1,000 sessions: at 32 connections two requests in flight share a session
    // only if one outlives ~30 others, so no session row is a hotspot, and each history stays short.
    let turn = 0;
    const nextChat = (stream: boolean) => chatRequest(sessions.fast[turn++ % sessions.fast.length]!, stream);
    const target: Target = { seed, deepCursor: '', wrongKeys: [] };
    const byId = SCENARIOS.find((s) => s.name === 'get-by-id')!;
    const run = (kind: 'get-by-id' | 'chat', seconds: number, warmup: number, connections = options.connections) =>
      drive({
        url: server.url,
        connections,
        duration: seconds,
        warmup,
        make: kind === 'chat' ? () => ({ method: 'POST', ...nextChat(false) }) : byId.request(target),
        expect: kind === 'chat' ? [201] : [200],
        serverPid: server.proc.pid,
        pgBackends: monitor.backends,
        pgStats: monitor.stats,
      });
    await warmupServer(server, target, options.warmupServerS);
    await run('chat', options.warmupServerS, 0, 8);

    const rssWarm = rssMb(server.proc.pid);
    log(`chat: warmed up, server RSS ${rssWarm} MB`);

    // Profile windows of the last round, in ms since the server's spawn (the profile's clock starts there).
    const since = () => performance.now() - server.proc.startedAt;
    const windows: Record<string, { from: number; to: number; requests: number }> = {};
    const rounds: ChatRound[] = [];
    for (let r = 0; r < options.rounds; r++) {
      log(`round ${r + 1}/${options.rounds}`);
      let from = since();
      const ttft = await measureTtft({
        upstream: fast.url,
        server: new URL(server.url),
        direct: directRequest,
        chat: () => nextChat(true),
        n: options.ttftRequests,
        warmup: 30,
      });
      log(
        `  TTFT p50: direct ${ttft.directP50} ms, via server ${ttft.serverP50} ms, overhead ${ttft.overheadP50} ms ` +
          `(paired ${ttft.pairedDiffP50} ms; server p99 ${ttft.serverP99} ms; ${ttft.failures.length} failures)`,
      );
      windows.ttft = { from, to: since(), requests: ttft.n + 30 };
      const order = r % 2 === 0 ? (['get-by-id', 'chat'] as const) : (['chat', 'get-by-id'] as const);
      const measured: Partial<Record<'get-by-id' | 'chat', Measurement>> = {};
      let backends: Record<string, number> = {};
      for (const kind of order) {
        const stop = kind === 'chat' ? sampleBackends(admin, db.name) : null;
        from = since();
        const m = (measured[kind] = await run(kind, options.duration, options.warmup));
        // drive() warms up first: the profile window is the measured part only.
        windows[kind] = { from: from + options.warmup * 1000, to: since(), requests: m.requests };
        if (stop) backends = stop();
        log(
          `  ${kind.padEnd(9)} c=${options.connections}: ${m.rps} rps, p50 ${m.p50} ms, p99 ${m.p99} ms, non2xx ${m.non2xx}, errors ${m.errors + m.timeouts}, ` +
            `CPU/req ${m.serverCpuUsPerReq} us + pg ${m.pgCpuUsPerReq} us, xact/req ${m.pgXactPerReq}, RSS ${m.rssMb} MB, other load ${m.otherCpuPct}%`,
        );
      }
      from = since();
      const hold = await holdStreams({
        server: new URL(server.url),
        serverPid: server.proc.pid,
        count: options.streams,
        make: (i) => chatRequest(sessions.slow[i % sessions.slow.length]!, true),
        timeoutMs: 90_000 + options.holdS * 1000,
        rampMs: options.rampS * 1000,
      });
      log(
        `  hold ${hold.streams} streams: ${hold.completed} completed with done, ${hold.errors} errors ${JSON.stringify(hold.problems)}; ` +
          `max open ${hold.maxOpen} (all open after ${hold.allOpenAfterMs ?? '-'} ms); first delta p50 ${hold.firstDeltaP50} / p99 ${hold.firstDeltaP99} ms; ` +
          `RSS ${hold.rssMb.before} -> peak ${hold.rssMb.peak} -> ${hold.rssMb.after} MB; ${hold.durationMs} ms`,
      );
      windows.hold = { from, to: since(), requests: hold.streams };
      rounds.push({ ttft, getById: measured['get-by-id']!, chat: measured.chat!, chatBackends: backends, hold });
      await sleep(2_000); // let the sockets of the burst close before the next round
    }
    calibration.end = calibrate(SERVER_CORE);
    const profile = options.profile ? await profileWindows(server.proc, profDir, windows) : undefined;
    const serverLog = logProblems(join(tmp, 'server.log'));
    if (Object.keys(serverLog).length) log(`server log warnings and errors: ${JSON.stringify(serverLog)}`);

    const targets = chatTargets(rounds, options);
    const result = {
      mode: 'chat',
      rounds,
      targets,
      serverRssMb: { atStart: rssAtStart, warmedUp: rssWarm },
      serverLogProblems: serverLog,
      ...(profile ? { profile } : {}),
      fixtures: { sessions: sessions.fast.length + sessions.slow.length, upstreamBehaviors: { fast: FAST, slow: slowReply } },
      machine: {
        ...machineInfo(),
        openFilesLimit: nofile,
        calibrationCpuMs: calibration,
        postgres: await serverVersion(adminUrl),
        serverCore: SERVER_CORE,
        loadGeneratorCore: LOADGEN_CORE,
      },
      build,
      date: startedAt.toISOString(),
      options: { ...options, serverEnv: 'NODE_ENV=production, XAI/OPENAI_BASE_URL = the upstream processes, defaults otherwise (pool 10)' },
      wallS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    };
    printChat(rounds, targets, options);
    for (const [phase, summary] of Object.entries(profile ?? {})) {
      process.stdout.write(`\nprofile of the server, last round, ${phase} (${windows[phase]!.requests} requests):\n`);
      process.stdout.write(formatSummary(summary, windows[phase]!.requests) + '\n');
    }
    const suffixes = ['chat', ...(options.profile ? ['profile'] : []), ...(options.quick ? ['quick'] : [])];
    log(`results: ${writeResult(result, startedAt, hostname(), suffixes)}`);
    if (options.json) process.stdout.write(JSON.stringify(result) + '\n');
  }

  /** Stops the profiled server (SIGINT: the profile is written on exit) and summarizes each window. */
  async function profileWindows(
    proc: Parameters<typeof stopProcess>[0],
    dir: string,
    windows: Record<string, { from: number; to: number }>,
  ) {
    await stopProcess(proc, 'SIGINT', 20_000);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const p = loadProfile(join(dir, file));
    const out: Record<string, ProfileSummary> = {};
    for (const [phase, w] of Object.entries(windows))
      out[phase] = summarize(p, { from: p.startTime + w.from * 1000, to: p.startTime + w.to * 1000 });
    return out;
  }

  // Bounded: a build when one may run, set-up, and per round the TTFT pairs, two drives and the hold (90 s at most).
  const perRound = 60 + 2 * (options.duration + options.warmup + 5) + 100 + options.holdS + options.rampS;
  const budgetS = Math.round(300 + (options.build === 'never' ? 0 : 600) + options.rounds * perRound * 1.5);
  runBounded('chat', main, {
    budgetS,
    cleanup,
    onFailure: () => {
      if (tmp) log(`server log problems: ${JSON.stringify(logProblems(join(tmp, 'server.log')))}`);
    },
  });
}
