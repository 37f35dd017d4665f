// alumia mission-control: the organization's activity feed (with the agents, stats and machines above
// it), its filters as flags, and --follow to poll for new activity until Ctrl-C.
import type { Command } from 'commander';
import type { ActivityItem, AlumiaClient, MissionControlParams, MissionControlSnapshot } from '../../client.js';
import { contextOf, type Context, type Io } from '../context.js';
import { InterruptedError } from '../exit.js';
import { example, positiveInt } from '../options.js';
import { fields, oneLine, relativeTime, table, type Colors } from '../output.js';

/** How often --follow asks for new activity. */
export const FOLLOW_EVERY_MS = 2_000;
// --follow remembers the rows it printed this long before the newest, so a row committed late (its
// createdAt is its transaction's start) is still printed once, and never twice.
const REMEMBER_MS = 60_000;
const FOLLOW_PAGES = 10;

interface Flags {
  kind?: string;
  agent?: string;
  project?: string;
  machine?: string;
  search?: string;
  limit?: number;
  cursor?: string;
  follow?: boolean;
}

const filtersOf = (f: Flags): MissionControlParams => ({
  ...(f.kind ? { kind: f.kind as MissionControlParams['kind'] } : {}),
  ...(f.agent ? { agentId: f.agent } : {}),
  ...(f.project ? { projectId: f.project } : {}),
  ...(f.machine ? { machine: f.machine } : {}),
  ...(f.search ? { search: f.search } : {}),
});

const row = (c: Colors, a: ActivityItem, now: number) => [
  c.dim(relativeTime(a.createdAt, now)),
  a.kind,
  oneLine(a.actor.name, 24),
  oneLine(a.summary, 80),
  a.machine?.name ?? '-',
];
const HEADERS = ['When', 'Kind', 'Actor', 'Summary', 'Machine'];
const feedTable = (c: Colors, items: ActivityItem[]) =>
  table(
    c,
    HEADERS,
    items.map((a) => row(c, a, Date.now())),
  );

function header(c: Colors, s: MissionControlSnapshot): string {
  const online = s.machines.filter((m) => m.status === 'online').length;
  const day = s.stats.last24h;
  return fields(c, [
    ['Agents', `${s.agents.total} (${s.agents.active} active, ${s.agents.inactive} inactive)`],
    ['Machines', `${online} online of ${s.machines.length}`],
    [
      'Last 24 h',
      `${day.sessions} sessions, ${day.messages} messages, ${day.chatReplies} replies, ${day.tokens} tokens, ${day.creditsUsed.credits} credits`,
    ],
  ]);
}

/** Adds the command to `program` and returns it. */
export function addMissionControlCommand(program: Command, io: Io): Command {
  return program
    .command('mission-control')
    .description('The activity feed of your organization, newest first, with agents, stats and machines')
    .option('--kind <kind>', 'only this kind (agent.created) or every kind of a subject (agent.*)')
    .option('--agent <id>', 'only rows about this agent (UUID or slug)')
    .option('--project <id>', 'only rows about this project (UUID or slug)')
    .option('--machine <id>', 'only rows written by this machine (id or name)')
    .option('--search <text>', 'only rows whose summary or subject contains this text')
    .option('--limit <n>', 'rows to show, 1 to 100 (default 50)', positiveInt(100))
    .option('--cursor <cursor>', 'start after this cursor (printed when more rows follow)')
    .option('--follow', `keep polling every ${FOLLOW_EVERY_MS / 1000} s and print new rows as they come, until Ctrl-C`)
    .addHelpText(
      'after',
      `${example('alumia mission-control', 'alumia mission-control --kind agent.* --search research', 'alumia mission-control --follow', 'alumia mission-control --agent ala --json')}
With --follow the rows come oldest first, one line each (with --json, one JSON object per line); Ctrl-C
stops it (exit code 130). Without it, --json prints the whole snapshot.`,
    )
    .action(async (flags: Flags, cmd: Command) => {
      const ctx = contextOf(io, cmd);
      const client = ctx.client();
      const filters = filtersOf(flags);
      if (flags.follow) return follow(ctx, client, filters, flags.limit);
      const s = await client.missionControl({
        ...filters,
        ...(flags.limit ? { limit: flags.limit } : {}),
        ...(flags.cursor ? { cursor: flags.cursor } : {}),
      });
      ctx.print(s, () =>
        [header(ctx.c, s), '', s.activity.items.length ? feedTable(ctx.c, s.activity.items) : ctx.c.dim('No activity.')].join('\n'),
      );
      if (!ctx.json && s.activity.nextCursor) ctx.hint(`More activity: alumia mission-control --cursor ${s.activity.nextCursor}`);
    });
}

/** Prints the newest rows, then every 2 s the rows not printed yet, oldest first, until Ctrl-C (exit 130). */
async function follow(ctx: Context, client: AlumiaClient, filters: MissionControlParams, limit = 20) {
  const printed = new Map<string, number>(); // id -> createdAt
  let newest = 0;
  const print = (rows: ActivityItem[]) => {
    for (const a of [...rows].reverse()) {
      printed.set(a.id, Date.parse(a.createdAt));
      newest = Math.max(newest, Date.parse(a.createdAt));
      ctx.out(ctx.json ? JSON.stringify(a) : row(ctx.c, a, Date.now()).join('  '));
    }
    for (const [id, at] of printed) if (at < newest - REMEMBER_MS) printed.delete(id);
  };
  /** The rows not printed yet, newest first: pages until one reaches what was printed or is older than remembered. */
  const unseen = async () => {
    const fresh: ActivityItem[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < FOLLOW_PAGES; i++) {
      const page = await client.missionControl.activityPage({ ...filters, limit: 100, ...(cursor ? { cursor } : {}) });
      const older = page.items.filter((a) => Date.parse(a.createdAt) < newest - REMEMBER_MS);
      fresh.push(...page.items.filter((a) => !printed.has(a.id) && Date.parse(a.createdAt) >= newest - REMEMBER_MS));
      if (older.length || page.items.some((a) => printed.has(a.id)) || !page.nextCursor) break;
      cursor = page.nextCursor;
    }
    return fresh;
  };

  const first = await client.missionControl.activityPage({ ...filters, limit });
  if (!ctx.json && first.items.length === 0) ctx.hint('No activity yet; waiting for some (Ctrl-C to stop).');
  print(first.items);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = await Promise.race([
        stopped.then(() => 'stop' as const),
        new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), FOLLOW_EVERY_MS))),
      ]);
      // The pending wait must not hold the process open after Ctrl-C.
      clearTimeout(timer);
      if (tick === 'stop') throw new InterruptedError('stopped following');
      print(await unseen());
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
}
