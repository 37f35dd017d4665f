// The bare-metal baseline: express 5 + pg, no auth, no validation, no ORM, no logging. It runs the same
// SQL shapes the data layer sends for an agent by id, by slug and a list page, and answers with the same
// envelope (`{ success: true, data }`), so the server's ratio to it is the price of everything else.
//
//   PORT=4000 DATABASE_URL=postgresql://... BASELINE_ORG_ID=<uuid> BASELINE_WORKSPACE_ID=<uuid> tsx bench/baseline.ts
import express from 'express';
import pg from 'pg';

const COLUMNS = `"id", "orgId", "workspaceId", "name", "slug", "description", "avatar", "model", "systemPrompt",
  "allowedTools", "allowedPeerIds", "allowedConnectors", "isActive", "isDefault", "settings", "createdAt", "updatedAt", "deletedAt"`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row {
  id: string;
  orgId: string;
  workspaceId: string | null;
  name: string;
  slug: string;
  description: string | null;
  avatar: string;
  model: string;
  systemPrompt: string | null;
  allowedTools: string[];
  allowedPeerIds: string[];
  allowedConnectors: string[];
  isActive: boolean;
  settings: unknown;
  createdAt: Date;
  updatedAt: Date;
}

const toAgent = (row: Row) => ({
  id: row.id,
  orgId: row.orgId,
  workspaceId: row.workspaceId,
  name: row.name,
  slug: row.slug,
  description: row.description,
  avatar: row.avatar,
  model: row.model,
  systemPrompt: row.systemPrompt,
  allowedTools: row.allowedTools,
  // Seeded agents grant no peers, so like the server this has no peer slugs to look up.
  allowedPeers: row.allowedPeerIds,
  allowedConnectors: row.allowedConnectors,
  isActive: row.isActive,
  settings: row.settings,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const orgId = process.env.BASELINE_ORG_ID!;
const workspaceId = process.env.BASELINE_WORKSPACE_ID!;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  idleTimeoutMillis: 30_000,
  keepAlive: true,
});

const app = express();
app.disable('x-powered-by');
app.set('etag', false);

app.get('/readyz', async (_req, res) => {
  await pool.query('SELECT 1');
  res.json({ success: true, data: { status: 'ready' } });
});

// The same WHERE/ORDER BY/LIMIT as the list query the server's data layer sends (keyset, no OFFSET).
app.get('/api/v1/agents', async (req, res) => {
  const limit = Number(req.query.limit ?? 100);
  const params: unknown[] = [orgId, workspaceId];
  let keyset = '';
  if (typeof req.query.cursor === 'string') {
    const [at, id] = JSON.parse(Buffer.from(req.query.cursor, 'base64url').toString('utf8')) as [string, string];
    // As after() in server/data/pagination.ts renders it: the `<=` bound lets the index start at the cursor.
    params.push(new Date(at), new Date(at), id);
    keyset = ` AND "updatedAt" <= $3 AND ("updatedAt" < $4 OR "id" < $5)`;
  }
  params.push(limit + 1);
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM "Agent" WHERE "deletedAt" IS NULL AND "orgId" = $1 AND ("workspaceId" IS NULL OR "workspaceId" = $2)${keyset}
     ORDER BY "updatedAt" DESC, "id" DESC LIMIT $${params.length}`,
    params,
  );
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  res.json({
    success: true,
    data: {
      items: page.map(toAgent),
      limit,
      nextCursor: hasMore && last ? Buffer.from(JSON.stringify([last.updatedAt.toISOString(), last.id])).toString('base64url') : null,
      hasMore,
    },
  });
});

// The primary-key SELECT (or the live-slug lookup for a non-UUID reference).
app.get('/api/v1/agents/:ref', async (req, res) => {
  const ref = req.params.ref.toLowerCase();
  const { rows } = UUID.test(ref)
    ? await pool.query<Row>(`SELECT ${COLUMNS} FROM "Agent" WHERE "id" = $1 AND "deletedAt" IS NULL`, [ref])
    : await pool.query<Row>(`SELECT ${COLUMNS} FROM "Agent" WHERE "orgId" = $1 AND "slug" = $2 AND "deletedAt" IS NULL`, [orgId, ref]);
  const row = rows[0];
  if (!row) {
    res.status(404).json({ success: false, error: { code: 'NOT_FOUND', message: 'Agent not found' } });
    return;
  }
  res.json({ success: true, data: toAgent(row) });
});

const server = app.listen(Number(process.env.PORT ?? 4000), '127.0.0.1');
const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
