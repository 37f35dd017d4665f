import type { PGlite, Transaction } from '@electric-sql/pglite';
import pg from 'pg';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';

/**
 * The delivery engine's own way to the database. On PostgreSQL: a small pool of its own (the job queue's
 * polling never takes a connection from requests) and one client that LISTENs. On the embedded database:
 * the one PGlite of this process, which serializes every statement anyway.
 */

/** A statement runner as pg-boss takes it (its `db` option). */
export interface QueueDb {
  executeSql: (text: string, values?: unknown[]) => Promise<{ rows: any[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One transaction: statements, and the same transaction as pg-boss's `db`. */
export interface EngineTx {
  query: <T>(text: string, params: unknown[]) => Promise<T[]>;
  queue: QueueDb;
}

export interface EngineConnection {
  query: <T>(text: string, params: unknown[]) => Promise<T[]>;
  transaction<R>(fn: (tx: EngineTx) => Promise<R>): Promise<R>;
  /** pg-boss's statements outside any transaction of ours. */
  queue: QueueDb;
  /** Calls `onNotify` on every notification on `channel` (and once after a reconnect: something may have been missed). */
  listen(channel: string, onNotify: () => void): Promise<void>;
  close(): Promise<void>;
}

export const POOL_SIZE = 6;
const RECONNECT_MS = 1_000;

export function engineConnection(db: Database, url: string | undefined, logger: Logger): EngineConnection {
  if (db.pglite) return embedded(db.pglite);
  if (!url) throw new Error('The webhook engine on PostgreSQL needs the database URL');
  return postgres(url, logger);
}

// pg-boss runs its schema plans as several statements without parameters: only exec takes those on PGlite.
const pgliteQueue = (runner: PGlite | Transaction): QueueDb => ({
  async executeSql(text, values) {
    if (!values || values.length === 0) return { rows: (await runner.exec(text)).at(-1)?.rows ?? [] };
    return { rows: (await runner.query(text, values)).rows };
  },
});

function embedded(pglite: PGlite): EngineConnection {
  const unlisten: Array<() => Promise<void>> = [];
  return {
    query: async <T>(text: string, params: unknown[]) => (await pglite.query<T>(text, params)).rows,
    transaction: <R>(fn: (tx: EngineTx) => Promise<R>) =>
      pglite.transaction((tx) =>
        fn({ query: async <T>(t: string, p: unknown[]) => (await tx.query<T>(t, p)).rows, queue: pgliteQueue(tx) }),
      ),
    queue: pgliteQueue(pglite),
    async listen(channel, onNotify) {
      unlisten.push(await pglite.listen(channel, onNotify));
    },
    async close() {
      // The PGlite itself belongs to the Database, closed after the engine.
      await Promise.all(unlisten.splice(0).map((u) => u().catch(() => undefined)));
    },
  };
}

function postgres(url: string, logger: Logger): EngineConnection {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'alumia-webhooks',
  });
  pool.on('error', (err) => logger.warn({ err }, 'idle webhook engine connection failed'));
  const clientQueue = (client: pg.ClientBase): QueueDb => ({ executeSql: (text, values) => client.query(text, values) });
  let listener: pg.Client | undefined;
  let closed = false;
  const connectListener = async (channel: string, onNotify: () => void) => {
    const client = new pg.Client({ connectionString: url, keepAlive: true, application_name: 'alumia-webhooks-listen' });
    const retry = () => {
      if (closed) return;
      setTimeout(
        () => void connectListener(channel, onNotify).catch((err) => logger.warn({ err }, 'webhook listener reconnect failed')),
        RECONNECT_MS,
      ).unref();
    };
    client.on('error', (err) => {
      logger.warn({ err }, 'webhook listener connection failed; reconnecting');
      client.end().catch(() => undefined);
      retry();
    });
    client.on('notification', onNotify);
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (err) {
      client.end().catch(() => undefined);
      retry();
      throw err;
    }
    listener = client;
    onNotify();
  };
  return {
    query: async <T>(text: string, params: unknown[]) => (await pool.query(text, params)).rows as T[],
    async transaction<R>(fn: (tx: EngineTx) => Promise<R>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <T>(t: string, p: unknown[]) => (await client.query(t, p)).rows as T[],
          queue: clientQueue(client),
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    queue: { executeSql: (text, values) => pool.query(text, values) },
    listen: (channel, onNotify) => connectListener(channel, onNotify),
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
