import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Session } from '../generated/sdk/types.gen.js';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteAgent, deleteSession } from './helpers/fixtures.js';
import { ids, walkPages } from './helpers/lists.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const patch = (t: Tenant, id: string, body: unknown) =>
  h.http
    .patch(`${API}/sessions/${id}`)
    .set(t.auth)
    .send(body as object);
const sessionRow = (id: string) => h.db.prisma.session.findUniqueOrThrow({ where: { id } });
const listed = async (t: Tenant, query: string) =>
  ids(expectSuccess<{ items: Session[] }>(await h.http.get(`${API}/sessions${query}`).set(t.auth)).items);

describe('PATCH /api/v1/sessions/:id', () => {
  let t: Tenant;
  let s: Session;
  beforeAll(async () => {
    t = await h.tenant();
    s = await createSession(h, t, { agentIds: ['ala'], title: 'Before', metadata: { relationship: 'direct', topic: 'old' } });
  });

  it('changes only the title when only the title is sent, and moves updatedAt forward', async () => {
    const before = await sessionRow(s.id);
    const updated = expectSuccess<Session>(await patch(t, s.id, { title: 'After' }));
    expect(updated).toEqual({ ...s, title: 'After', updatedAt: updated.updatedAt });
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThan(before.updatedAt.getTime());
    expect(expectSuccess<Session>(await h.http.get(`${API}/sessions/${s.id}`).set(t.auth))).toEqual(updated);
  });

  it('replaces the whole metadata object, and clears the title with null', async () => {
    const updated = expectSuccess<Session>(await patch(t, s.id, { metadata: { relationship: 'group' }, title: null }));
    expect(updated.metadata).toEqual({ relationship: 'group' });
    expect(updated.title).toBeNull();
    const row = await sessionRow(s.id);
    expect({ title: row.title, metadata: row.metadata }).toEqual({ title: null, metadata: { relationship: 'group' } });
  });

  it('refuses an empty body, unknown or server-owned fields, and bad values, changing nothing', async () => {
    const before = await sessionRow(s.id);
    expect(expectError(await patch(t, s.id, {}), 'BAD_REQUEST').message).toBe('The body is empty: send at least one field to change');
    expectInvalid(await patch(t, s.id, { agentIds: ['ala'] }), 'BAD_REQUEST', ['body.agentIds']);
    expectInvalid(await patch(t, s.id, { title: 'x'.repeat(256) }), 'VALIDATION_ERROR', ['body.title']);
    expectInvalid(await patch(t, s.id, { metadata: { relationship: 'enemies' } }), 'VALIDATION_ERROR', ['body.metadata.relationship']);
    expectError(await patch(t, s.id, { metadata: { blob: 'x'.repeat(33 * 1024) } }), 'VALIDATION_ERROR');
    expect(await sessionRow(s.id)).toEqual(before);
  });

  it('answers 404 for a deleted, unknown or foreign session, and 403 without sessions:write', async () => {
    const gone = await createSession(h, t, { agentIds: ['ala'] });
    await deleteSession(h, t, gone.id);
    expectError(await patch(t, gone.id, { title: 'x' }), 'NOT_FOUND');
    expectError(await patch(t, '00000000-0000-4000-8000-000000000000', { title: 'x' }), 'NOT_FOUND');
    const other = await h.tenant();
    expectError(await patch(other, s.id, { title: 'hijack' }), 'NOT_FOUND');
    const readOnly = await h.keyWithScopes(t, ['sessions:read']);
    expectError(await h.http.patch(`${API}/sessions/${s.id}`).set('Authorization', `Bearer ${readOnly}`).send({ title: 'x' }), 'FORBIDDEN');
    expect((await sessionRow(s.id)).title).not.toBe('hijack');
  });

  it('moves the session to the top of the list', async () => {
    const newer = await createSession(h, t, { agentIds: ['ala'] });
    expect((await listed(t, ''))[0]).toBe(newer.id);
    expectSuccess(await patch(t, s.id, { title: 'bumped' }));
    expect((await listed(t, ''))[0]).toBe(s.id);
  });
});

describe('GET /api/v1/sessions filters', () => {
  let t: Tenant;
  let a: Agent;
  let b: Agent;
  const made: Record<string, Session> = {};
  beforeAll(async () => {
    t = await h.tenant();
    a = await createAgent(h, t, { name: 'Filter A' });
    b = await createAgent(h, t, { name: 'Filter B' });
    made.aDirect = await createSession(h, t, { agentIds: [a.id], metadata: { relationship: 'direct' } });
    made.abPeer = await createSession(h, t, { agentIds: [a.id, b.id], metadata: { relationship: 'peer' } });
    made.bPeer = await createSession(h, t, { agentIds: [b.id, 'ala'], metadata: { relationship: 'peer' } });
    made.untagged = await createSession(h, t, { agentIds: ['ala'] });
  });

  it('agentId keeps the sessions that agent takes part in, by UUID or slug, newest first', async () => {
    expect(await listed(t, `?agentId=${a.id}`)).toEqual([made.abPeer!.id, made.aDirect!.id]);
    expect(await listed(t, `?agentId=${b.slug}`)).toEqual([made.bPeer!.id, made.abPeer!.id]);
    expect(await listed(t, `?agentId=ala`)).toEqual([made.untagged!.id, made.bPeer!.id]);
  });

  it('relationship keeps the sessions whose metadata.relationship matches, and combines with agentId', async () => {
    expect(await listed(t, '?relationship=peer')).toEqual([made.bPeer!.id, made.abPeer!.id]);
    expect(await listed(t, '?relationship=direct')).toEqual([made.aDirect!.id]);
    expect(await listed(t, '?relationship=group')).toEqual([]);
    expect(await listed(t, `?relationship=peer&agentId=${a.slug}`)).toEqual([made.abPeer!.id]);
  });

  it('pages through a filtered list with the same filter', async () => {
    const pages = await walkPages<Session>(h, t, '/sessions?relationship=peer', 1);
    expect(pages.flatMap((p) => ids(p.items))).toEqual([made.bPeer!.id, made.abPeer!.id]);
  });

  it('refuses an agentId naming no agent the caller can see (400), and a bad relationship (422)', async () => {
    const other = await h.tenant();
    const foreign = await createAgent(h, other, { name: 'Foreign Filter' });
    expectInvalid(await h.http.get(`${API}/sessions?agentId=${foreign.id}`).set(t.auth), 'BAD_REQUEST', ['query.agentId']);
    expectInvalid(await h.http.get(`${API}/sessions?agentId=no-such-agent`).set(t.auth), 'BAD_REQUEST', ['query.agentId']);
    const gone = await createAgent(h, t, { name: 'Gone Filter' });
    await deleteAgent(h, t, gone.id);
    expectInvalid(await h.http.get(`${API}/sessions?agentId=${gone.id}`).set(t.auth), 'BAD_REQUEST', ['query.agentId']);
    expectInvalid(await h.http.get(`${API}/sessions?relationship=friends`).set(t.auth), 'VALIDATION_ERROR', ['query.relationship']);
  });
});
