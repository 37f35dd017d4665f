import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageSession } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { steppedUp } from './helpers/org.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const MINUTE = 60_000;
const membership = (t: Tenant, userId = t.userId) =>
  h.db.prisma.membership.findUnique({ where: { orgId_userId: { orgId: t.orgId, userId } } });
const setRole = (headers: Record<string, string>, userId: string, role: string) =>
  h.http.patch(`/api/v1/org/members/${userId}`).set(headers).send({ role });
const remove = (headers: Record<string, string>, userId: string) => h.http.delete(`/api/v1/org/members/${userId}`).set(headers);

describe('GET /org/members', () => {
  it('lists every member with email, name and role, oldest first, to any key or session of the org, paginated', async () => {
    const owner = await h.tenant();
    const admin = await h.colleague(owner, { role: 'admin' });
    const member = await h.colleague(owner, { role: 'member' });
    const key = await h.keyWithScopes(member, ['agents:read']);
    const page = expectSuccess(await h.http.get('/api/v1/org/members').set({ Authorization: `Bearer ${key}` }));
    expect(page.items.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      [owner.userId, 'owner'],
      [admin.userId, 'admin'],
      [member.userId, 'member'],
    ]);
    expect(page.items[0]).toEqual({ userId: owner.userId, email: owner.email, name: null, role: 'owner', createdAt: expect.any(String) });
    const first = expectSuccess(await h.http.get('/api/v1/org/members?limit=2').set(owner.auth));
    expect(first).toMatchObject({ hasMore: true, limit: 2 });
    const second = expectSuccess(await h.http.get(`/api/v1/org/members?limit=2&cursor=${first.nextCursor}`).set(owner.auth));
    expect(second.items.map((m: { userId: string }) => m.userId)).toEqual([member.userId]);
    expect(second.hasMore).toBe(false);
    // Another org's members never appear.
    const other = await h.tenant();
    const theirs = expectSuccess(await h.http.get('/api/v1/org/members').set(other.auth));
    expect(theirs.items.map((m: { userId: string }) => m.userId)).toEqual([other.userId]);
    const s = await steppedUp(h, member);
    expect(expectSuccess(await h.http.get('/api/v1/org/members').set(s.headers)).items).toHaveLength(3);
  });
});

describe('PATCH /org/members/{userId}', () => {
  it('lets a stepped-up owner change a role, at once for the member’s key, with an activity row', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner);
    const s = await steppedUp(h, owner);
    // The member's key is cached as a member: listing invites is refused.
    expectError(await h.http.get('/api/v1/org/invites').set(member.auth), 'FORBIDDEN');
    const changed = expectSuccess(await setRole(s.headers, member.userId, 'admin'));
    expect(changed).toMatchObject({ userId: member.userId, role: 'admin', email: member.email });
    expect((await membership(owner, member.userId))!.role).toBe('admin');
    expectSuccess(await h.http.get('/api/v1/org/invites').set(member.auth));
    const rows = await h.db.prisma.activity.findMany({ where: { orgId: owner.orgId, kind: 'member.updated' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ subjectType: 'user', subjectId: member.userId, actorId: owner.userId, details: { role: 'admin' } });
    // The same role again changes nothing and writes no row.
    expectSuccess(await setRole(s.headers, member.userId, 'admin'));
    expect(await h.db.prisma.activity.count({ where: { orgId: owner.orgId, kind: 'member.updated' } })).toBe(1);
  });

  it('refuses API keys (403) and sessions outside the step-up window, and changes nothing', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner);
    expectError(await setRole(owner.auth, member.userId, 'admin'), 'FORBIDDEN');
    const s = await steppedUp(h, owner);
    await ageSession(h, s.token, 'stepUpAt', 11 * MINUTE);
    expect(expectError(await setRole(s.headers, member.userId, 'admin'), 'FORBIDDEN').message).toContain('step-up required');
    expectError(await remove(s.headers, member.userId), 'FORBIDDEN');
    expect((await membership(owner, member.userId))!.role).toBe('member');
  });

  it('keeps the last owner: demoting or removing the only owner is 409; with a second owner it works', async () => {
    const owner = await h.tenant();
    const s = await steppedUp(h, owner);
    expectError(await setRole(s.headers, owner.userId, 'admin'), 'CONFLICT');
    expectError(await remove(s.headers, owner.userId), 'CONFLICT');
    expect((await membership(owner))!.role).toBe('owner');
    const second = await h.colleague(owner, { role: 'owner' });
    expectSuccess(await setRole(s.headers, second.userId, 'member'));
    expectError(await setRole(s.headers, owner.userId, 'member'), 'CONFLICT');
    expectSuccess(await setRole(s.headers, second.userId, 'owner'));
    expectSuccess(await setRole(s.headers, owner.userId, 'admin'));
    expect((await membership(owner))!.role).toBe('admin');
  });

  it('two owners demoting each other at once leave one owner', async () => {
    const a = await h.tenant();
    const b = await h.colleague(a, { role: 'owner' });
    const [sa, sb] = [await steppedUp(h, a), await steppedUp(h, b)];
    const answers = await Promise.all([setRole(sa.headers, b.userId, 'member'), setRole(sb.headers, a.userId, 'member')]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, expect.any(Number)]);
    expect(await h.db.prisma.membership.count({ where: { orgId: a.orgId, role: 'owner' } })).toBe(1);
  });

  it('lets admins manage members only: not owners, not admins, not themselves, and never grant owner', async () => {
    const owner = await h.tenant();
    const admin = await h.colleague(owner, { role: 'admin' });
    const otherAdmin = await h.colleague(owner, { role: 'admin' });
    const member = await h.colleague(owner);
    const s = await steppedUp(h, admin);
    expectError(await setRole(s.headers, member.userId, 'owner'), 'FORBIDDEN');
    expectError(await setRole(s.headers, owner.userId, 'member'), 'FORBIDDEN');
    expectError(await setRole(s.headers, otherAdmin.userId, 'member'), 'FORBIDDEN');
    expectError(await setRole(s.headers, admin.userId, 'member'), 'FORBIDDEN');
    expectError(await remove(s.headers, owner.userId), 'FORBIDDEN');
    expectError(await remove(s.headers, otherAdmin.userId), 'FORBIDDEN');
    expect(
      (await h.db.prisma.membership.findMany({ where: { orgId: owner.orgId }, orderBy: { createdAt: 'asc' } })).map((m) => m.role),
    ).toEqual(['owner', 'admin', 'admin', 'member']);
    const another = await h.colleague(owner);
    expectSuccess(await remove(s.headers, another.userId));
    expect(await membership(owner, another.userId)).toBeNull();
    expectSuccess(await setRole(s.headers, member.userId, 'admin'));
    // Now an admin: out of an admin's reach.
    expectError(await setRole(s.headers, member.userId, 'member'), 'FORBIDDEN');
  });

  it('lets members manage nobody (403)', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner);
    const peer = await h.colleague(owner);
    const s = await steppedUp(h, member);
    expectError(await setRole(s.headers, peer.userId, 'admin'), 'FORBIDDEN');
    expectError(await remove(s.headers, peer.userId), 'FORBIDDEN');
    expect(await membership(owner, peer.userId)).not.toBeNull();
  });

  it('answers 404 for a user of another org or an unknown id, and changes nothing', async () => {
    const owner = await h.tenant();
    const other = await h.tenant();
    const otherMember = await h.colleague(other);
    const s = await steppedUp(h, owner);
    const foreign = expectError(await setRole(s.headers, otherMember.userId, 'admin'), 'NOT_FOUND');
    const missing = expectError(await setRole(s.headers, '00000000-0000-4000-8000-000000000000', 'admin'), 'NOT_FOUND');
    expect(foreign.message).toBe(missing.message);
    expectError(await remove(s.headers, otherMember.userId), 'NOT_FOUND');
    expect((await membership(other, otherMember.userId))!.role).toBe('member');
  });
});

describe('DELETE /org/members/{userId}', () => {
  it('removes the membership, workspace access, keys (401 at once) and sessions in this org only', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner);
    const memberSession = await steppedUp(h, member);
    // The same user in another org keeps everything there.
    const elsewhere = await h.tenant();
    await h.db.prisma.membership.create({ data: { orgId: elsewhere.orgId, userId: member.userId, role: 'member' } });
    const keyElsewhere = await h.mintKey({ ...elsewhere, userId: member.userId });
    // The key is in use (cached) right before the removal.
    expectSuccess(await h.http.get('/api/v1/me').set(member.auth));
    const s = await steppedUp(h, owner);
    expect(expectSuccess(await remove(s.headers, member.userId))).toEqual({ deleted: true });
    expectError(await h.http.get('/api/v1/me').set(member.auth), 'UNAUTHORIZED');
    expectError(await h.http.get('/api/v1/agents').set(memberSession.headers), 'UNAUTHORIZED');
    expect(await membership(owner, member.userId)).toBeNull();
    expect(await h.db.prisma.workspaceAccess.count({ where: { userId: member.userId, workspace: { orgId: owner.orgId } } })).toBe(0);
    expect(await h.db.prisma.apiKey.count({ where: { orgId: owner.orgId, userId: member.userId, revokedAt: null } })).toBe(0);
    expectSuccess(await h.http.get('/api/v1/me').set({ Authorization: `Bearer ${keyElsewhere}` }));
    const rows = await h.db.prisma.activity.findMany({ where: { orgId: owner.orgId, kind: 'member.removed' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ subjectId: member.userId, actorId: owner.userId });
    // Removing again: no longer a member.
    expectError(await remove(s.headers, member.userId), 'NOT_FOUND');
  });

  it('lets an owner leave when another owner remains', async () => {
    const owner = await h.tenant();
    const second = await h.colleague(owner, { role: 'owner' });
    const s = await steppedUp(h, owner);
    expectSuccess(await remove(s.headers, owner.userId));
    expect(await membership(owner)).toBeNull();
    expect((await membership(owner, second.userId))!.role).toBe('owner');
  });
});
