import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
import type { PrismaClient } from '../db/database.js';
import type { Logger } from '../logger.js';
import { fromRoot } from '../paths.js';

/**
 * Machines: the server processes sharing one database. Each registers itself at start, then writes a
 * heartbeat (lastSeenAt and the requests it answered in the last 5 minutes) every heartbeatMs. Machines
 * are the deployment's, not a tenant's: every caller of mission control sees the same list, which names
 * each process (MACHINE_NAME, or hostname-pid) and its version, and nothing else about the host.
 */

/** A machine unseen for this many of the reader's heartbeat intervals is offline. */
export const OFFLINE_AFTER_HEARTBEATS = 3;
/** Machines unseen for longer than this are left out of mission control (each restart is a new machine). */
export const MACHINES_SHOWN_FOR_MS = 24 * 60 * 60 * 1000;

const BUCKET_MS = 10_000;
const BUCKETS = 30; // 30 x 10 s: a 5-minute window that slides every 10 s

export const SERVER_VERSION: string = (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;

/** Requests counted in 10-second buckets; the total is the last 5 minutes' (the current bucket included). */
export class RequestWindow {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  private readonly epochs = new Array<number>(BUCKETS).fill(-1);

  add(now = Date.now()): void {
    const epoch = Math.floor(now / BUCKET_MS);
    const slot = epoch % BUCKETS;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.counts[slot] = 0;
    }
    this.counts[slot]!++;
  }

  total(now = Date.now()): number {
    const epoch = Math.floor(now / BUCKET_MS);
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) if (this.epochs[i]! > epoch - BUCKETS) sum += this.counts[i]!;
    return sum;
  }
}

export interface MachineIdentity {
  id: string;
  name: string;
  heartbeatMs: number;
}

export interface MachineSummary {
  id: string;
  name: string;
  version: string;
  status: 'online' | 'offline';
  startedAt: string;
  lastSeenAt: string;
  requestsLast5m: number;
}

export class MachineStore {
  readonly requests = new RequestWindow();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private readonly startedAt = new Date();

  constructor(
    private readonly prisma: PrismaClient,
    readonly self: MachineIdentity,
    private readonly logger?: Logger,
  ) {}

  /** The pipeline step that counts every request this process receives. */
  counter(): RequestHandler {
    return (_req, _res, next) => {
      this.requests.add();
      next();
    };
  }

  /**
   * Registers this process, then heartbeats every heartbeatMs until `stop`. Neither ever throws: a failure
   * is logged, and the next beat writes the whole row again, so a machine that could not register at start
   * appears with its first successful beat.
   */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.self.heartbeatMs);
    // Never what keeps the process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async beat(): Promise<void> {
    // A slow database must not pile beats up.
    if (this.beating) return;
    this.beating = true;
    const { id, name } = this.self;
    const now = new Date();
    const requestsLast5m = this.requests.total(now.getTime());
    try {
      await this.prisma.machine.upsert({
        where: { id },
        create: { id, name, version: SERVER_VERSION, startedAt: this.startedAt, lastSeenAt: now, requestsLast5m },
        update: { lastSeenAt: now, requestsLast5m },
      });
    } catch (err) {
      this.logger?.warn({ err, machineId: id }, 'could not write the machine heartbeat');
    } finally {
      this.beating = false;
    }
  }

  /** Machines seen in the last 24 hours, most recently seen first; status against this reader's heartbeat interval. */
  async list(now = new Date()): Promise<MachineSummary[]> {
    const rows = await this.prisma.machine.findMany({
      where: { lastSeenAt: { gte: new Date(now.getTime() - MACHINES_SHOWN_FOR_MS) } },
      orderBy: [{ lastSeenAt: 'desc' }, { id: 'asc' }],
      take: 100,
    });
    const offlineBefore = now.getTime() - OFFLINE_AFTER_HEARTBEATS * this.self.heartbeatMs;
    return rows.map((m) => ({
      id: m.id,
      name: m.name,
      version: m.version,
      status: m.lastSeenAt.getTime() < offlineBefore ? 'offline' : 'online',
      startedAt: m.startedAt.toISOString(),
      lastSeenAt: m.lastSeenAt.toISOString(),
      requestsLast5m: m.requestsLast5m,
    }));
  }

  /** Ids of the machines with this id or name (names need not be unique across restarts). */
  async resolve(ref: string): Promise<string[]> {
    const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
    if (byId) return [ref.toLowerCase()];
    const rows = await this.prisma.machine.findMany({ where: { name: ref }, select: { id: true }, take: 1000 });
    return rows.map((r) => r.id);
  }
}
