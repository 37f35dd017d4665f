import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectSuccess, ISO } from './helpers/envelope.js';
import { workspaceCast } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';

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

const FIELDS = ['createdAt', 'id', 'name', 'orgId', 'slug', 'updatedAt'];
const ids = (items: Array<{ id: string }>) => items.map((w) => w.id);

describe('GET /api/v1/workspaces', () => {
  it('shows owners and admins every live workspace of the org, oldest first', async () => {
    const expected = (
      await h.db.prisma.workspace.findMany({ where: { orgId: owner.orgId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })
    ).map((w) => w.id);
    expect(expected).toHaveLength(4);
    for (const who of [owner, admin]) {
      const data = expectSuccess(await h.http.get('/api/v1/workspaces').set(who.auth));
      expect(Object.keys(data)).toEqual(['items']);
      expect(ids(data.items)).toEqual(expected);
    }
  });

  it('shows a member only the workspaces granted to them', async () => {
    const data = expectSuccess(await h.http.get('/api/v1/workspaces').set(member.auth));
    expect(ids(data.items)).toEqual([member.workspaceId]);
  });

  it('describes each workspace with exactly its public fields', async () => {
    const data = expectSuccess(await h.http.get('/api/v1/workspaces').set(owner.auth));
    const mine = data.items.find((w: { id: string }) => w.id === owner.workspaceId);
    expect(Object.keys(mine).sort()).toEqual(FIELDS);
    expect(mine).toMatchObject({ orgId: owner.orgId, slug: owner.workspaceSlug });
    expect(mine.createdAt).toMatch(ISO);
    expect(mine.updatedAt).toMatch(ISO);
  });

  it("never lists another organization's workspaces", async () => {
    const data = expectSuccess(await h.http.get('/api/v1/workspaces').set(outsider.auth));
    expect(ids(data.items)).toEqual([outsider.workspaceId]);
  });

  it('drops a soft-deleted workspace from the list and answers 404 for it', async () => {
    const doomed = await h.db.prisma.workspace.create({ data: { orgId: owner.orgId, slug: uniq('gone'), name: 'Gone' } });
    expect(ids(expectSuccess(await h.http.get('/api/v1/workspaces').set(owner.auth)).items)).toContain(doomed.id);
    await h.db.prisma.workspace.update({ where: { id: doomed.id }, data: { deletedAt: new Date() } });
    expect(ids(expectSuccess(await h.http.get('/api/v1/workspaces').set(owner.auth)).items)).not.toContain(doomed.id);
    expectError(await h.http.get(`/api/v1/workspaces/${doomed.id}`).set(owner.auth), 'NOT_FOUND');
  });
});

describe('GET /api/v1/workspaces/:id', () => {
  it('returns a visible workspace', async () => {
    const data = expectSuccess(await h.http.get(`/api/v1/workspaces/${member.workspaceId}`).set(member.auth));
    expect(Object.keys(data).sort()).toEqual(FIELDS);
    expect(data).toMatchObject({ id: member.workspaceId, orgId: owner.orgId, slug: member.workspaceSlug });
    expectSuccess(await h.http.get(`/api/v1/workspaces/${ungranted.id}`).set(owner.auth));
    expectSuccess(await h.http.get(`/api/v1/workspaces/${ungranted.id}`).set(admin.auth));
    expectSuccess(await h.http.get(`/api/v1/workspaces/${member.workspaceId}`).set(owner.auth));
  });
});
