// missionControl() through the typed client on real HTTP: the snapshot, the filters as sent (a `*` kind
// and reserved characters in search), and the whole feed as an async iterator over keyset pages.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, isAlumiaError, type ActivityItem, type AlumiaClient } from '../client/src/index.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

let h: Harness;
let server: Served;
let t: Tenant;
let client: AlumiaClient;
const BASE = Date.parse('2026-11-20T12:00:00.000Z');

const insert = (kind: string, summary: string, at: number) =>
  h.db.sql(
    `INSERT INTO "Activity" ("orgId", kind, "actorType", "actorName", "subjectType", "subjectId", "subjectName", summary, "createdAt")
     VALUES ($1::uuid, $2, 'system', 'system', 'agent', $3::uuid, 'Subject', $4, $5::timestamptz)`,
    [t.orgId, kind, randomUUID(), summary, new Date(at)],
  );

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
  t = await h.tenant();
  client = createClient({ apiKey: t.key, baseUrl: server.url, retries: 0 });
  for (let i = 0; i < 7; i++) await insert(i % 2 ? 'agent.updated' : 'session.created', `cli feed ${i} (50% done!)`, BASE + i * 1000);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe('client.missionControl', () => {
  it('resolves to the snapshot with every part', async () => {
    const snap = await client.missionControl({ search: 'cli feed', limit: 2 });
    expect(Object.keys(snap).sort()).toEqual(['activity', 'agents', 'machines', 'stats']);
    expect(snap.agents.items.map((a) => a.slug)).toContain('ala');
    expect(snap.activity.items.map((i) => i.summary)).toEqual(['cli feed 6 (50% done!)', 'cli feed 5 (50% done!)']);
    expect(snap.activity.hasMore).toBe(true);
  });

  it('sends the filters as the API expects them: agent.* and reserved characters in search', async () => {
    const rows = await client.missionControl.activity({ kind: 'agent.*', search: '50% done!' }).toArray();
    expect(rows.map((r) => r.summary)).toEqual(['cli feed 5 (50% done!)', 'cli feed 3 (50% done!)', 'cli feed 1 (50% done!)']);
  });

  it('iterates over the whole feed page by page, newest first, each row once', async () => {
    const seen: ActivityItem[] = [];
    for await (const row of client.missionControl.activity({ search: 'cli feed', limit: 2 })) seen.push(row);
    expect(seen.map((r) => r.summary)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `cli feed ${i} (50% done!)`));
    const pages = [];
    for await (const page of client.missionControl.activity({ search: 'cli feed', limit: 3 }).pages()) pages.push(page.items.length);
    expect(pages).toEqual([3, 3, 1]);
  });

  it('rejects an invalid filter with the API error', async () => {
    const error = await client.missionControl({ kind: 'nope.*' as never }).catch((e: unknown) => e);
    expect(isAlumiaError(error, 'VALIDATION_ERROR')).toBe(true);
  });
});
