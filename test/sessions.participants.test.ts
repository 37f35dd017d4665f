import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { givePassword, signIn } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession, deleteAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
let cookie: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  cookie = (await signIn(h.http, t.email, await givePassword(h, t))).headers;
});
afterAll(() => h.close());

const add = (id: string, agentId: string, headers = cookie) =>
  h.http.post(`${API}/sessions/${id}/participants`).set(headers).send({ agentId });
const remove = (id: string, agentId: string, headers = cookie) =>
  h.http.delete(`${API}/sessions/${id}/participants/${agentId}`).set(headers);

describe('session participants', () => {
  it('adds an agent by slug, last in order, with a session.updated row; a second add is 409', async () => {
    const a = await createAgent(h, t, { name: 'First Agent' });
    const b = await createAgent(h, t, { name: 'Second Agent' });
    const s = await createSession(h, t, { agentIds: [a.id] });
    const updated = expectSuccess(await add(s.id, b.slug), 201);
    expect(updated.agentIds).toEqual([a.id, b.id]);
    expect(updated.updatedAt > s.updatedAt).toBe(true);
    expect(expectSuccess(await h.http.get(`${API}/sessions/${s.id}`).set(t.auth)).agentIds).toEqual([a.id, b.id]);
    expectError(await add(s.id, b.id), 'CONFLICT');
    const rows = await h.db.prisma.activity.findMany({ where: { subjectId: s.id, kind: 'session.updated' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.summary).toContain('participants');
  });

  it('refuses API keys with 403 and changes nothing', async () => {
    const a = await createAgent(h, t, { name: 'Key Agent' });
    const b = await createAgent(h, t, { name: 'Key Agent Two' });
    const s = await createSession(h, t, { agentIds: [a.id, b.id] });
    expectError(await add(s.id, 'ala', t.auth), 'FORBIDDEN');
    expectError(await remove(s.id, b.id, t.auth), 'FORBIDDEN');
    expect(expectSuccess(await h.http.get(`${API}/sessions/${s.id}`).set(t.auth)).agentIds).toEqual([a.id, b.id]);
  });

  it('an unknown, deleted or foreign agent is a 400 like session create; a foreign session is 404', async () => {
    const a = await createAgent(h, t, { name: 'Lonely Agent' });
    const gone = await createAgent(h, t, { name: 'Gone Agent' });
    await deleteAgent(h, t, gone.id);
    const s = await createSession(h, t, { agentIds: [a.id] });
    expectError(await add(s.id, 'no-such-agent'), 'BAD_REQUEST');
    expectError(await add(s.id, gone.id), 'BAD_REQUEST');
    const other = await h.tenant();
    const foreign = await createAgent(h, other, { name: 'Foreign Agent' });
    expectError(await add(s.id, foreign.id), 'BAD_REQUEST');
    const otherCookie = (await signIn(h.http, other.email, await givePassword(h, other))).headers;
    expectError(await add(s.id, foreign.id, otherCookie), 'NOT_FOUND');
    expectError(await remove(s.id, a.id, otherCookie), 'NOT_FOUND');
    expect(expectSuccess(await h.http.get(`${API}/sessions/${s.id}`).set(t.auth)).agentIds).toEqual([a.id]);
  });

  it('removes a participant; a non-participant is 404 and the last one 409', async () => {
    const a = await createAgent(h, t, { name: 'Stay Agent' });
    const b = await createAgent(h, t, { name: 'Leave Agent' });
    const s = await createSession(h, t, { agentIds: [a.id, b.id] });
    expect(expectSuccess(await remove(s.id, b.slug)).agentIds).toEqual([a.id]);
    expectError(await remove(s.id, b.id), 'NOT_FOUND');
    expectError(await remove(s.id, a.id), 'CONFLICT');
    expect(expectSuccess(await h.http.get(`${API}/sessions/${s.id}`).set(t.auth)).agentIds).toEqual([a.id]);
  });

  it('chat keeps working: with several agents it asks which one answers', async () => {
    const a = await createAgent(h, t, { name: 'Chat Agent' });
    const b = await createAgent(h, t, { name: 'Chat Agent Two' });
    const s = await createSession(h, t, { agentIds: [a.id] });
    expectSuccess(await add(s.id, b.id), 201);
    const res = await h.http.post(`${API}/sessions/${s.id}/chat`).set(t.auth).send({ content: 'hello', stream: false });
    expect(expectError(res, 'BAD_REQUEST').message).toContain('agentId');
  });
});
