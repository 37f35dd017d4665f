import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { workspaceCast } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { describeRouteSecurity } from './helpers/security.js';

let h: Harness;
let owner: Tenant;
let admin: Tenant;
let member: Tenant;
let outsider: Tenant;
let ungranted: { id: string };
beforeAll(async () => {
  h = await startHarness();
  ({ owner, admin, member, outsider, ungranted } = await workspaceCast(h));
});
afterAll(() => h.close());

const snapshot = () => h.db.prisma.workspace.findMany({ orderBy: { id: 'asc' } });

describeRouteSecurity(
  () => h,
  [
    {
      method: 'get',
      route: '/workspaces/:id',
      scopes: [],
      target: (harness, who) =>
        Promise.resolve({
          paths: [`/workspaces/${who.workspaceId}`],
          snapshot: () => harness.db.prisma.workspace.findUnique({ where: { id: who.workspaceId } }),
        }),
    },
  ],
);

describe('GET /api/v1/workspaces/:id across tenants', () => {
  it('answers 404 to a member for a workspace of their org they were not granted', async () => {
    expectError(await h.http.get(`/api/v1/workspaces/${owner.workspaceId}`).set(member.auth), 'NOT_FOUND');
    expectError(await h.http.get(`/api/v1/workspaces/${ungranted.id}`).set(member.auth), 'NOT_FOUND');
  });

  it("answers 404 for another organization's workspace, even to its owner", async () => {
    const res = await h.http.get(`/api/v1/workspaces/${outsider.workspaceId}`).set(owner.auth);
    // Exactly the answer for an id that does not exist at all.
    const missing = await h.http.get('/api/v1/workspaces/7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f').set(owner.auth);
    expect(expectError(res, 'NOT_FOUND').message).toBe(expectError(missing, 'NOT_FOUND').message);
  });
});

describe('browser-only mutations', () => {
  it('POST /api/v1/workspaces answers 403 to every API key, naming the dashboard and step-up, and creates nothing', async () => {
    const before = await snapshot();
    for (const who of [owner, admin, member]) {
      for (const body of [{ name: 'Research' }, {}, { name: 'x', orgId: outsider.orgId }]) {
        const error = expectError(await h.http.post('/api/v1/workspaces').set(who.auth).send(body), 'FORBIDDEN');
        expect(error.message).toMatch(/dashboard/i);
        expect(error.message).toMatch(/step-up/i);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('DELETE /api/v1/workspaces/:id answers 403 to every API key, naming the dashboard and step-up, and deletes nothing', async () => {
    const before = await snapshot();
    for (const who of [owner, admin, member]) {
      for (const id of [who.workspaceId, owner.workspaceId, outsider.workspaceId]) {
        const error = expectError(await h.http.delete(`/api/v1/workspaces/${id}`).set(who.auth), 'FORBIDDEN');
        expect(error.message).toMatch(/dashboard/i);
        expect(error.message).toMatch(/step-up/i);
      }
    }
    expect(await snapshot()).toEqual(before);
    expectSuccess(await h.http.get(`/api/v1/workspaces/${owner.workspaceId}`).set(owner.auth));
  });

  it('still asks for a key first: without one the answer is 401', async () => {
    expectError(await h.http.post('/api/v1/workspaces').send({ name: 'Research' }), 'UNAUTHORIZED');
    expectError(await h.http.delete(`/api/v1/workspaces/${owner.workspaceId}`), 'UNAUTHORIZED');
  });
});
