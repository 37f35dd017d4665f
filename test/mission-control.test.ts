// The activity feed of GET /mission-control: newest first, keyset pages, every filter, tenancy of the rows,
// and the 422s. Rows are inserted directly (with chosen times), so each test controls exactly what exists.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity, MissionControl } from '../generated/sdk/types.gen.js';
import { ACTIVITY_KINDS } from '../server/data/activity.js';
import { KIND_FILTERS } from '../server/domain/mission-control.js';
import { fromRoot } from '../server/paths.js';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { API, createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const PATH = `${API}/mission-control`;
const BASE = Date.parse('2026-11-20T12:00:00.000Z');

interface Row {
  orgId: string;
  kind?: string;
  summary?: string;
  subjectName?: string;
  subjectType?: string;
  workspaceId?: string | null;
  privateToUserId?: string | null;
  agentId?: string | null;
  projectId?: string | null;
  machineId?: string | null;
  at?: number;
  id?: string;
}

/** Inserts one activity row as the writers would, at a chosen time; returns its id. */
async function insert(r: Row): Promise<string> {
  const id = r.id ?? randomUUID();
  await h.db.sql(
    `INSERT INTO "Activity" (id, "orgId", "workspaceId", "privateToUserId", kind, "actorType", "actorId", "actorName", "subjectType",
       "subjectId", "subjectName", "agentId", "projectId", "machineId", summary, "createdAt")
     VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, 'system', NULL, 'system', $6, $7::uuid, $8, $9::uuid, $10::uuid, $11::uuid, $12, $13::timestamptz)`,
    [
      id,
      r.orgId,
      r.workspaceId ?? null,
      r.privateToUserId ?? null,
      r.kind ?? 'agent.updated',
      r.subjectType ?? 'agent',
      randomUUID(),
      r.subjectName ?? 'Subject',
      r.agentId ?? null,
      r.projectId ?? null,
      r.machineId ?? null,
      r.summary ?? 'Something happened.',
      new Date(r.at ?? BASE),
    ],
  );
  return id;
}

const feed = async (t: { auth: { Authorization: string } }, query = '') =>
  expectSuccess<MissionControl>(await h.http.get(`${PATH}${query}`).set(t.auth)).activity;
const ids = (items: Activity[]) => items.map((i) => i.id);

describe('the activity feed', () => {
  let t: Tenant;
  let rows: string[];
  beforeAll(async () => {
    t = await h.tenant();
    // 7 rows, two sharing a timestamp (ordered by id then), inserted out of order.
    rows = [];
    for (const [i, at] of [3, 1, 6, 2, 2, 5, 4].entries())
      rows.push(await insert({ orgId: t.orgId, at: BASE + at * 1000, summary: `Row ${i}.` }));
  });

  const expected = async () => {
    const all = await h.db.prisma.activity.findMany({ where: { id: { in: rows } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    return all.map((r) => r.id);
  };

  it('lists the rows newest first, ties broken by id descending, in the documented shape', async () => {
    const page = await feed(t, '?search=Row');
    expect(ids(page.items)).toEqual(await expected());
    expect(page).toMatchObject({ limit: 50, hasMore: false, nextCursor: null });
    expect(page.items[0]).toEqual({
      id: page.items[0]!.id,
      kind: 'agent.updated',
      actor: { type: 'system', id: null, name: 'system' },
      subject: { type: 'agent', id: expect.any(String), name: 'Subject' },
      agentId: null,
      projectId: null,
      workspaceId: null,
      machine: null,
      summary: 'Row 2.',
      details: null,
      createdAt: '2026-11-20T12:00:06.000Z',
    });
  });

  it('pages through every row exactly once with limit and cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: MissionControl['activity'] = await feed(t, `?search=Row&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page.items));
      cursor = page.nextCursor;
      expect(page.hasMore).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(await expected());
  });

  it('refuses a limit outside 1 to 100 and a damaged cursor with 422', async () => {
    expectInvalid(await h.http.get(`${PATH}?limit=0`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get(`${PATH}?limit=101`).set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expect((await feed(t, '?limit=100')).limit).toBe(100);
    expectInvalid(await h.http.get(`${PATH}?cursor=bm90LWEtY3Vyc29y`).set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
    // Also when a filter empties the feed.
    expectInvalid(await h.http.get(`${PATH}?agentId=no-such-agent&cursor=bm90LWEtY3Vyc29y`).set(t.auth), 'VALIDATION_ERROR', [
      'query.cursor',
    ]);
  });

  it('needs agents:read and activity:read', async () => {
    for (const scopes of [['agents:read'], ['activity:read']] as const) {
      expectError(await h.http.get(PATH).set({ Authorization: `Bearer ${await h.keyWithScopes(t, [...scopes])}` }), 'FORBIDDEN');
    }
    const both = await h.keyWithScopes(t, ['agents:read', 'activity:read']);
    expect(ids((await feed({ auth: { Authorization: `Bearer ${both}` } }, '?search=Row')).items)).toHaveLength(7);
  });
});

describe('who sees a row', () => {
  let owner: Tenant;
  let member: Tenant;
  let stranger: Tenant;
  let rows: Record<string, string>;
  beforeAll(async () => {
    owner = await h.tenant();
    member = await h.colleague(owner); // its own workspace, which the owner sees too
    stranger = await h.tenant();
    rows = {
      orgWide: await insert({ orgId: owner.orgId, summary: 'vis org-wide' }),
      ownerWorkspace: await insert({ orgId: owner.orgId, workspaceId: owner.workspaceId, summary: 'vis owner workspace' }),
      memberWorkspace: await insert({ orgId: owner.orgId, workspaceId: member.workspaceId, summary: 'vis member workspace' }),
      ownersKey: await insert({
        orgId: owner.orgId,
        privateToUserId: owner.userId,
        subjectType: 'api_key',
        kind: 'api_key.minted',
        summary: 'vis owner key',
      }),
      membersKey: await insert({
        orgId: owner.orgId,
        privateToUserId: member.userId,
        subjectType: 'api_key',
        kind: 'api_key.minted',
        summary: 'vis member key',
      }),
      otherOrg: await insert({ orgId: stranger.orgId, summary: 'vis other org' }),
    };
  });
  const seen = async (t: Tenant) => new Set(ids((await feed(t, '?search=vis')).items));

  it('shows an owner every row of its org, private ones included, and nothing of another org', async () => {
    const s = await seen(owner);
    expect(s).toEqual(new Set([rows.orgWide, rows.ownerWorkspace, rows.memberWorkspace, rows.ownersKey, rows.membersKey]));
  });

  it('shows a member org-wide rows, its workspaces and its own keys only', async () => {
    expect(await seen(member)).toEqual(new Set([rows.orgWide, rows.memberWorkspace, rows.membersKey]));
  });

  it('shows another org only its own rows', async () => {
    expect(await seen(stranger)).toEqual(new Set([rows.otherOrg]));
  });
});

describe('filters', () => {
  let t: Tenant;
  let other: Tenant;
  let agentId: string;
  let projectId: string;
  let otherAgentId: string;
  const machineId = randomUUID();
  let r: Record<string, string>;
  beforeAll(async () => {
    t = await h.tenant();
    other = await h.tenant();
    agentId = (await createAgent(h, t, { name: 'Filter Target' })).id;
    otherAgentId = (await createAgent(h, other, { name: 'Filter Target' })).id;
    projectId = (
      await h.db.prisma.project.create({ data: { orgId: t.orgId, workspaceId: t.workspaceId, name: 'Launch Plan', slug: 'launch-plan' } })
    ).id;
    await h.db.prisma.machine.create({
      data: { id: machineId, name: 'api-7', version: '1.0.0', startedAt: new Date(), lastSeenAt: new Date() },
    });
    const o = t.orgId;
    r = {
      created: await insert({ orgId: o, kind: 'agent.created', agentId, summary: 'flt one', at: BASE + 1 }),
      deleted: await insert({ orgId: o, kind: 'agent.deleted', agentId, summary: 'flt two', at: BASE + 2 }),
      session: await insert({
        orgId: o,
        kind: 'session.created',
        subjectType: 'session',
        agentId,
        projectId,
        summary: 'flt three',
        at: BASE + 3,
      }),
      block: await insert({
        orgId: o,
        kind: 'block.created',
        subjectType: 'block',
        projectId,
        machineId,
        summary: 'flt four',
        at: BASE + 4,
      }),
      pct: await insert({ orgId: o, kind: 'message.posted', subjectType: 'message', summary: 'flt 100% done_ok', at: BASE + 5 }),
      subj: await insert({
        orgId: o,
        kind: 'message.posted',
        subjectType: 'message',
        subjectName: 'Quarterly REVIEW',
        summary: 'flt six',
        at: BASE + 6,
      }),
      slash: await insert({ orgId: o, kind: 'chat.replied', subjectType: 'message', summary: 'flt a\\b', machineId, at: BASE + 7 }),
    };
    // Rows of another org naming the same ids must never show up.
    await insert({ orgId: other.orgId, kind: 'agent.created', agentId: otherAgentId, projectId, machineId, summary: 'flt other org' });
  });
  const got = async (query: string) => ids((await feed(t, `?search=flt&${query}`)).items);

  it('kind: an exact kind, or every kind of a subject with <subject>.*', async () => {
    expect(await got('kind=agent.created')).toEqual([r.created]);
    expect(await got('kind=agent.*')).toEqual([r.deleted, r.created]);
    expect(await got('kind=message.*')).toEqual([r.subj, r.pct]);
    expect(await got('kind=credits.*')).toEqual([]);
  });

  it('kind: anything else is a 422', async () => {
    for (const kind of ['agent.exploded', 'nope.*', 'agent', '*', 'agent.created,agent.deleted', 'AGENT.CREATED']) {
      expectInvalid(await h.http.get(`${PATH}?kind=${encodeURIComponent(kind)}`).set(t.auth), 'VALIDATION_ERROR', ['query.kind']);
    }
  });

  it('agentId: by UUID or slug in any case; another org agent, or an unknown one, gives an empty feed', async () => {
    const expected = [r.session, r.deleted, r.created];
    expect(await got(`agentId=${agentId}`)).toEqual(expected);
    expect(await got(`agentId=${agentId.toUpperCase()}`)).toEqual(expected);
    expect(await got('agentId=filter-target')).toEqual(expected);
    expect(await got('agentId=FILTER-TARGET')).toEqual(expected);
    expect(await got(`agentId=${otherAgentId}`)).toEqual([]);
    expect(await got('agentId=no-such-agent')).toEqual([]);
    expect(await got(`agentId=${randomUUID()}`)).toEqual([]);
    expectInvalid(await h.http.get(`${PATH}?agentId=bad_slug`).set(t.auth), 'VALIDATION_ERROR', ['query.agentId']);
  });

  it('agentId by slug finds the caller org agent, not another org agent of the same slug', async () => {
    const page = await feed(other, '?search=flt&agentId=filter-target');
    expect(page.items.map((i) => i.summary)).toEqual(['flt other org']);
  });

  it('projectId: by UUID or slug; unknown gives an empty feed', async () => {
    expect(await got(`projectId=${projectId}`)).toEqual([r.block, r.session]);
    expect(await got('projectId=Launch-Plan')).toEqual([r.block, r.session]);
    expect(await got('projectId=other-plan')).toEqual([]);
    // Another org cannot reach the project by its slug.
    expect(ids((await feed(other, '?search=flt&projectId=launch-plan')).items)).toEqual([]);
  });

  it('machine: by id or name, named in each row; unknown gives an empty feed', async () => {
    expect(await got(`machine=${machineId}`)).toEqual([r.slash, r.block]);
    expect(await got('machine=api-7')).toEqual([r.slash, r.block]);
    expect(await got('machine=api-8')).toEqual([]);
    const [row] = (await feed(t, '?search=flt&machine=api-7&limit=1')).items;
    expect(row!.machine).toEqual({ id: machineId, name: 'api-7' });
    expectInvalid(await h.http.get(`${PATH}?machine=${'m'.repeat(256)}`).set(t.auth), 'VALIDATION_ERROR', ['query.machine']);
  });

  it('search: case-insensitive, in the summary or the subject name, with % _ and \\ literal', async () => {
    expect(ids((await feed(t, '?search=FLT%20TWO')).items)).toEqual([r.deleted]);
    expect(ids((await feed(t, '?search=quarterly%20review')).items)).toEqual([r.subj]);
    expect(ids((await feed(t, `?search=${encodeURIComponent('100%')}`)).items)).toEqual([r.pct]);
    expect(ids((await feed(t, `?search=${encodeURIComponent('%')}`)).items)).toEqual([r.pct]);
    expect(ids((await feed(t, `?search=${encodeURIComponent('e_o')}`)).items)).toEqual([r.pct]);
    expect(ids((await feed(t, `?search=${encodeURIComponent('flt_')}`)).items)).toEqual([]);
    expect(ids((await feed(t, `?search=${encodeURIComponent('a\\b')}`)).items)).toEqual([r.slash]);
    expect(ids((await feed(t, `?search=${encodeURIComponent('\\')}`)).items)).toEqual([r.slash]);
  });

  it('search: 1 to 100 characters', async () => {
    // An empty value is a 400, as for every query parameter of the API.
    expectInvalid(await h.http.get(`${PATH}?search=`).set(t.auth), 'BAD_REQUEST', ['query.search']);
    expectInvalid(await h.http.get(`${PATH}?search=${'x'.repeat(101)}`).set(t.auth), 'VALIDATION_ERROR', ['query.search']);
    expect((await feed(t, `?search=${'x'.repeat(100)}`)).items).toEqual([]);
  });

  it('filters combine, and pages keep them', async () => {
    expect(await got(`kind=agent.*&agentId=filter-target`)).toEqual([r.deleted, r.created]);
    expect(await got(`projectId=launch-plan&machine=api-7`)).toEqual([r.block]);
    const first = await feed(t, '?search=flt&kind=agent.*&limit=1');
    expect(ids(first.items)).toEqual([r.deleted]);
    const second = await feed(t, `?search=flt&kind=agent.*&limit=1&cursor=${first.nextCursor}`);
    expect(ids(second.items)).toEqual([r.created]);
    expect(second.hasMore).toBe(false);
  });
});

describe('hostile filter values', () => {
  it('never answer 500: NUL, broken UTF-8, SQL and pattern characters in search and machine', async () => {
    const t = await h.tenant();
    for (const raw of ['%00', 'a%00b', '%ED%A0%80', '%C0%AF', '%E0%A4%A', "'%20OR%201=1--", '%25%25', '%5C', '%2A', '*']) {
      for (const param of ['search', 'machine', 'agentId', 'projectId', 'kind', 'cursor']) {
        const res = await h.http.get(`${PATH}?${param}=${raw}`).set(t.auth);
        expect([200, 400, 422], `${param}=${raw}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
      }
    }
  });
});

describe('rows written by the API', () => {
  it("a chat reply's row carries its model, status and usage, equal to the stored reply's", async () => {
    const u = await h.tenant();
    const agent = await createAgent(h, u, { name: 'Feed Talker', model: 'alumia-local' });
    const session = expectSuccess<{ id: string }>(
      await h.http
        .post(`${API}/sessions`)
        .set(u.auth)
        .send({ agentIds: [agent.id] }),
      201,
    );
    const chat = expectSuccess<{ reply: { id: string; model: string; usage: Record<string, number> } }>(
      await h.http.post(`${API}/sessions/${session.id}/chat`).set(u.auth).send({ content: 'Hello feed', stream: false }),
      201,
    );
    const [row] = (await feed(u, '?kind=chat.replied')).items;
    expect(row).toMatchObject({
      kind: 'chat.replied',
      actor: { type: 'agent', id: agent.id, name: 'Feed Talker' },
      subject: { type: 'message', id: chat.reply.id },
      agentId: agent.id,
      details: { sessionId: session.id, model: 'alumia-local', status: 'complete', usage: chat.reply.usage },
    });
    // The user's message is a row of its own, its content only as the excerpt.
    const [posted] = (await feed(u, '?kind=message.posted')).items;
    expect(posted).toMatchObject({ subject: { type: 'message', name: 'Hello feed' }, details: { sessionId: session.id } });
  });
});

describe('the contract and the code name the same kinds', () => {
  it('ActivityKind lists ACTIVITY_KINDS, and the kind filter every kind and every <subject>.*', () => {
    type Parameter = { name?: string; $ref?: string; schema?: { enum?: string[] } };
    const doc = JSON.parse(readFileSync(fromRoot('generated', 'openapi.json'), 'utf8')) as {
      components: { schemas: Record<string, { enum?: string[] }>; parameters: Record<string, Parameter> };
      paths: Record<string, { get: { parameters: Parameter[] } }>;
    };
    expect(doc.components.schemas.ActivityKind!.enum).toEqual([...ACTIVITY_KINDS]);
    const resolve = (p: Parameter) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()!]! : p);
    const kind = doc.paths['/mission-control']!.get.parameters.map(resolve).find((p) => p.name === 'kind')!;
    expect(kind.schema!.enum).toEqual([...KIND_FILTERS]);
  });
});
