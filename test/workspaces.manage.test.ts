import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageSession, givePassword, signIn } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';

/** Workspace administration through stepped-up dashboard sessions; every mutation is browser-only. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

type Person = Tenant & { cookie: Record<string, string>; token: string };
const person = async (t: Tenant): Promise<Person> => {
  const { headers, token } = await signIn(h.http, t.email, await givePassword(h, t));
  return { ...t, cookie: headers, token };
};
/** A fresh org: owner, admin and member, each in a workspace of their own, each signed in (stepped up). */
async function org() {
  const owner = await h.tenant();
  return {
    owner: await person(owner),
    admin: await person(await h.colleague(owner, { role: 'admin' })),
    member: await person(await h.colleague(owner, { role: 'member' })),
  };
}

const api = (path: string) => `/api/v1${path}`;
const create = (who: Record<string, string>, name: string) => h.http.post(api('/workspaces')).set(who).send({ name });
const rename = (who: Record<string, string>, id: string, name: string) =>
  h.http
    .patch(api(`/workspaces/${id}`))
    .set(who)
    .send({ name });
const remove = (who: Record<string, string>, id: string) => h.http.delete(api(`/workspaces/${id}`)).set(who);
const grant = (who: Record<string, string>, id: string, userId: string) => h.http.put(api(`/workspaces/${id}/members/${userId}`)).set(who);
const revoke = (who: Record<string, string>, id: string, userId: string) =>
  h.http.delete(api(`/workspaces/${id}/members/${userId}`)).set(who);
const members = (who: Record<string, string>, id: string) => h.http.get(api(`/workspaces/${id}/members`)).set(who);

/** What the workspace operations can change, to check a refusal changed nothing. */
async function snapshot(orgId: string) {
  const [workspaces, access, memberships, activity] = await Promise.all([
    h.db.prisma.workspace.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    h.db.prisma.workspaceAccess.findMany({ where: { workspace: { orgId } }, orderBy: { id: 'asc' } }),
    h.db.prisma.membership.findMany({ where: { orgId }, orderBy: { id: 'asc' }, select: { userId: true, currentWorkspaceId: true } }),
    // Any first call of an org writes Ala's agent.created row; only workspace rows count here.
    h.db.prisma.activity.count({ where: { orgId, kind: { startsWith: 'workspace.' } } }),
  ]);
  return { workspaces, access, memberships, activity };
}
const activityOf = (orgId: string, kind: string) =>
  h.db.prisma.activity.findMany({ where: { orgId, kind }, orderBy: { createdAt: 'asc' } });
const currentOf = async (t: Tenant) =>
  (await h.db.prisma.membership.findFirstOrThrow({ where: { orgId: t.orgId, userId: t.userId } })).currentWorkspaceId;

describe('POST /workspaces', () => {
  it('creates a workspace with a slug from its name, grants the creator, leaves the current workspace, writes activity', async () => {
    const { owner } = await org();
    const made = expectSuccess(await create(owner.cookie, '  Forschung & Entwicklung '), 201);
    expect(made).toMatchObject({ orgId: owner.orgId, name: 'Forschung & Entwicklung', slug: 'forschung-entwicklung' });
    expect(expectSuccess(await h.http.get(api(`/workspaces/${made.id}`)).set(owner.auth))).toEqual(made);
    const grants = expectSuccess(await members(owner.auth, made.id)).items;
    expect(grants).toEqual([{ userId: owner.userId, email: owner.email, name: null, role: 'owner', grantedAt: expect.any(String) }]);
    expect(await currentOf(owner)).toBe(owner.workspaceId);
    const [row] = await activityOf(owner.orgId, 'workspace.created');
    expect(row).toMatchObject({
      actorType: 'user',
      actorId: owner.userId,
      subjectType: 'workspace',
      subjectId: made.id,
      workspaceId: made.id,
    });
    expect(row!.summary).toContain('Forschung & Entwicklung');
  });

  it('gives a repeated name the next free slug, and never reuses a deleted workspace’s slug', async () => {
    const { owner } = await org();
    const first = expectSuccess(await create(owner.cookie, 'Research'), 201);
    expect(expectSuccess(await create(owner.cookie, 'Research'), 201).slug).toBe('research-2');
    expectSuccess(await remove(owner.cookie, first.id));
    expect(expectSuccess(await create(owner.cookie, 'Research'), 201).slug).toBe('research-3');
    expect(expectSuccess(await create(owner.cookie, '!!!'), 201).slug).toBe('workspace');
  });

  it('lets admins create; a member gets 403 and nothing changes', async () => {
    const { owner, admin, member } = await org();
    expectSuccess(await create(admin.cookie, 'By admin'), 201);
    const before = await snapshot(owner.orgId);
    expect(expectError(await create(member.cookie, 'By member'), 'FORBIDDEN').message).toContain('owners and admins');
    expect(await snapshot(owner.orgId)).toEqual(before);
  });

  it('refuses a blank name with 422 and creates nothing', async () => {
    const { owner } = await org();
    const before = await snapshot(owner.orgId);
    expect(expectError(await create(owner.cookie, '   '), 'VALIDATION_ERROR').details).toEqual([
      { path: 'body.name', message: 'must not be blank' },
    ]);
    expect(await snapshot(owner.orgId)).toEqual(before);
  });

  it('makes the new workspace current for a creator who had none', async () => {
    const { owner, admin } = await org();
    await h.db.prisma.membership.updateMany({ where: { orgId: admin.orgId, userId: admin.userId }, data: { currentWorkspaceId: null } });
    const made = expectSuccess(await create(admin.cookie, 'Fresh start'), 201);
    expect(await currentOf(admin)).toBe(made.id);
    expect(await currentOf(owner)).toBe(owner.workspaceId);
  });
});

describe('PATCH /workspaces/{id}', () => {
  it('renames and keeps the slug; writes activity', async () => {
    const { owner, admin } = await org();
    const made = expectSuccess(await create(owner.cookie, 'Old name'), 201);
    const renamed = expectSuccess(await rename(admin.cookie, made.id, ' New name '));
    expect(renamed).toMatchObject({ id: made.id, slug: made.slug, name: 'New name' });
    expect(expectSuccess(await h.http.get(api(`/workspaces/${made.id}`)).set(owner.auth)).name).toBe('New name');
    const [row] = await activityOf(owner.orgId, 'workspace.updated');
    expect(row).toMatchObject({ actorId: admin.userId, subjectId: made.id, subjectName: 'New name' });
  });

  it('answers 403 to a member (even in their own workspace), 404 for another org’s or a deleted workspace', async () => {
    const { owner, member } = await org();
    const other = await person(await h.tenant());
    const before = await snapshot(owner.orgId);
    expectError(await rename(member.cookie, member.workspaceId, 'Mine'), 'FORBIDDEN');
    expectError(await rename(owner.cookie, other.workspaceId, 'Theirs'), 'NOT_FOUND');
    expectError(await rename(owner.cookie, '00000000-0000-4000-8000-000000000000', 'Nobody'), 'NOT_FOUND');
    expectError(await rename(owner.cookie, owner.workspaceId, ''), 'VALIDATION_ERROR');
    expectError(await rename(owner.cookie, owner.workspaceId, ' \t '), 'VALIDATION_ERROR');
    expect(await snapshot(owner.orgId)).toEqual(before);
    expect((await h.db.prisma.workspace.findUniqueOrThrow({ where: { id: other.workspaceId } })).name).not.toBe('Theirs');
    const doomed = expectSuccess(await create(owner.cookie, 'Doomed'), 201);
    expectSuccess(await remove(owner.cookie, doomed.id));
    expectError(await rename(owner.cookie, doomed.id, 'Revived'), 'NOT_FOUND');
  });
});

describe('DELETE /workspaces/{id}', () => {
  it('soft-deletes: the row stays, marked; the workspace and what lives in it disappear; activity is org-wide', async () => {
    const { owner, member } = await org();
    const agent = await createAgent(h, member, { name: 'Inside' });
    expectSuccess(await h.http.get(api(`/agents/${agent.id}`)).set(owner.auth));
    expectSuccess(await remove(owner.cookie, member.workspaceId));
    expect((await h.db.prisma.workspace.findUniqueOrThrow({ where: { id: member.workspaceId } })).deletedAt).toBeInstanceOf(Date);
    for (const who of [owner, member]) {
      expectError(await h.http.get(api(`/workspaces/${member.workspaceId}`)).set(who.auth), 'NOT_FOUND');
      expectError(await h.http.get(api(`/agents/${agent.id}`)).set(who.auth), 'NOT_FOUND');
      const listed = expectSuccess(await h.http.get(api('/agents')).set(who.auth)).items.map((a: { id: string }) => a.id);
      expect(listed).not.toContain(agent.id);
    }
    // Its agents go with it: they no longer hold their slug (nor count against the plan's agent limit).
    expect((await h.db.prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).deletedAt).toBeInstanceOf(Date);
    expect((await createAgent(h, owner, { name: 'Inside' })).slug).toBe(agent.slug);
    const [row] = await activityOf(owner.orgId, 'workspace.deleted');
    expect(row).toMatchObject({ actorId: owner.userId, subjectId: member.workspaceId, workspaceId: null });
    // Deleting it again: as if it never existed.
    expectError(await remove(owner.cookie, member.workspaceId), 'NOT_FOUND');
  });

  it('moves members whose current workspace it was to the oldest one they can still see, or to none', async () => {
    const { owner, admin, member } = await org();
    const second = expectSuccess(await create(owner.cookie, 'Second'), 201);
    expectSuccess(await grant(owner.cookie, second.id, member.userId));
    await h.db.prisma.membership.updateMany({
      where: { orgId: owner.orgId, userId: admin.userId },
      data: { currentWorkspaceId: member.workspaceId },
    });
    expectSuccess(await remove(owner.cookie, member.workspaceId));
    expect(await currentOf(member)).toBe(second.id);
    // The admin sees every workspace: the org's oldest live one.
    expect(await currentOf(admin)).toBe(owner.workspaceId);
    expect(await currentOf(owner)).toBe(owner.workspaceId);
    expect(expectSuccess(await h.http.get(api('/me')).set(member.auth)).currentWorkspace.id).toBe(second.id);
    // Then the member's last one goes: no workspace, so creating is refused as for anyone without one.
    expectSuccess(await remove(owner.cookie, second.id));
    expect(await currentOf(member)).toBeNull();
    expect(
      expectError(
        await h.http
          .post(api('/agents'))
          .set(member.auth)
          .send({ name: uniq('Nowhere') }),
        'FORBIDDEN',
      ).message,
    ).toContain('no workspace');
  });

  it('refuses the org’s last live workspace with 409 and changes nothing', async () => {
    const owner = await person(await h.tenant());
    const before = await snapshot(owner.orgId);
    expect(expectError(await remove(owner.cookie, owner.workspaceId), 'CONFLICT').message).toContain('last workspace');
    expect(await snapshot(owner.orgId)).toEqual(before);
  });

  it('answers 403 to a member and 404 for another org’s workspace, changing nothing', async () => {
    const { owner, member } = await org();
    const other = await h.tenant();
    const before = await snapshot(owner.orgId);
    const otherBefore = await snapshot(other.orgId);
    expectError(await remove(member.cookie, member.workspaceId), 'FORBIDDEN');
    // A workspace a member cannot see is a 404 to them, as to an outsider.
    expectError(await remove(member.cookie, owner.workspaceId), 'NOT_FOUND');
    expectError(await rename(member.cookie, owner.workspaceId, 'Peek'), 'NOT_FOUND');
    expectError(await grant(member.cookie, owner.workspaceId, member.userId), 'NOT_FOUND');
    expectError(await remove(owner.cookie, other.workspaceId), 'NOT_FOUND');
    expect(await snapshot(owner.orgId)).toEqual(before);
    expect(await snapshot(other.orgId)).toEqual(otherBefore);
  });
});

describe('workspace members', () => {
  it('lists the grants to anyone who can see the workspace, keys included; 404 for everyone else', async () => {
    const { owner, member } = await org();
    const other = await h.tenant();
    const items = expectSuccess(await members(member.auth, member.workspaceId)).items;
    expect(items.map((m: { userId: string }) => m.userId)).toEqual([member.userId]);
    expect(items[0]).toEqual({ userId: member.userId, email: member.email, name: null, role: 'member', grantedAt: expect.any(String) });
    expectSuccess(await members(owner.auth, member.workspaceId));
    expectError(await members(member.auth, owner.workspaceId), 'NOT_FOUND');
    expectError(await members(other.auth, owner.workspaceId), 'NOT_FOUND');
  });

  it('grants idempotently: one row, one activity row, the same answer twice', async () => {
    const { owner, admin, member } = await org();
    const first = expectSuccess(await grant(admin.cookie, owner.workspaceId, member.userId));
    const again = expectSuccess(await grant(admin.cookie, owner.workspaceId, member.userId));
    expect(again).toEqual(first);
    expect(first).toMatchObject({ userId: member.userId, role: 'member' });
    expect(await h.db.prisma.workspaceAccess.count({ where: { workspaceId: owner.workspaceId, userId: member.userId } })).toBe(1);
    const rows = await activityOf(owner.orgId, 'workspace.access_granted');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorId: admin.userId, subjectId: owner.workspaceId, details: { userId: member.userId } });
    expect(rows[0]!.summary).toContain(member.email);
    // The member sees it at once.
    expectSuccess(await h.http.get(api(`/workspaces/${owner.workspaceId}`)).set(member.auth));
  });

  it('answers 404 for a user outside the org and for another org’s workspace; 403 to a member', async () => {
    const { owner, member } = await org();
    const other = await h.tenant();
    const before = await snapshot(owner.orgId);
    expect(expectError(await grant(owner.cookie, owner.workspaceId, other.userId), 'NOT_FOUND').message).toContain('Member');
    expectError(await grant(owner.cookie, other.workspaceId, member.userId), 'NOT_FOUND');
    expectError(await revoke(owner.cookie, owner.workspaceId, other.userId), 'NOT_FOUND');
    expectError(await revoke(owner.cookie, other.workspaceId, other.userId), 'NOT_FOUND');
    expectError(await grant(member.cookie, member.workspaceId, member.userId), 'FORBIDDEN');
    expectError(await revoke(member.cookie, member.workspaceId, member.userId), 'FORBIDDEN');
    expect(await snapshot(owner.orgId)).toEqual(before);
    expect(await h.db.prisma.workspaceAccess.count({ where: { workspaceId: other.workspaceId } })).toBe(1);
  });

  it('revokes at once: the member’s key and session stop seeing the workspace and its rows; they move', async () => {
    const { owner, member } = await org();
    // Granted behind the API's back: a grant through it would drop the key's cached identity already.
    await h.db.prisma.workspaceAccess.create({ data: { workspaceId: owner.workspaceId, userId: member.userId } });
    await h.db.prisma.membership.updateMany({
      where: { orgId: owner.orgId, userId: member.userId },
      data: { currentWorkspaceId: owner.workspaceId },
    });
    const agent = await createAgent(h, member, { name: 'Shared' });
    expect(agent.workspaceId).toBe(owner.workspaceId);
    // The key's identity is cached now, current workspace included.
    expect(expectSuccess(await h.http.get(api('/agents')).set(member.auth)).items.map((a: { id: string }) => a.id)).toContain(agent.id);
    expectSuccess(await revoke(owner.cookie, owner.workspaceId, member.userId));
    for (const who of [member.auth, member.cookie]) {
      expectError(await h.http.get(api(`/workspaces/${owner.workspaceId}`)).set(who), 'NOT_FOUND');
      expectError(await h.http.get(api(`/agents/${agent.id}`)).set(who), 'NOT_FOUND');
      expect(expectSuccess(await h.http.get(api('/agents')).set(who)).items.map((a: { id: string }) => a.id)).not.toContain(agent.id);
    }
    expect(await currentOf(member)).toBe(member.workspaceId);
    // The key's cached identity was dropped: what it creates now lands in the workspace it moved to.
    expect((await createAgent(h, member, { name: 'After' })).workspaceId).toBe(member.workspaceId);
    expect(await activityOf(owner.orgId, 'workspace.access_revoked')).toHaveLength(1);
    // Revoking again changes nothing and answers the same.
    expectSuccess(await revoke(owner.cookie, owner.workspaceId, member.userId));
    expect(await activityOf(owner.orgId, 'workspace.access_revoked')).toHaveLength(1);
  });

  it('leaves an admin’s current workspace alone on revoke: admins see every workspace anyway', async () => {
    const { owner, admin } = await org();
    expectSuccess(await grant(owner.cookie, owner.workspaceId, admin.userId));
    await h.db.prisma.membership.updateMany({
      where: { orgId: owner.orgId, userId: admin.userId },
      data: { currentWorkspaceId: owner.workspaceId },
    });
    expectSuccess(await revoke(owner.cookie, owner.workspaceId, admin.userId));
    expect(await currentOf(admin)).toBe(owner.workspaceId);
    expectSuccess(await h.http.get(api(`/workspaces/${owner.workspaceId}`)).set(admin.auth));
  });
});

describe('browser-only', () => {
  it('refuses API keys with 403, owners included, and changes nothing', async () => {
    const { owner, member } = await org();
    const before = await snapshot(owner.orgId);
    for (const res of [
      await create(owner.auth, 'By key'),
      await rename(owner.auth, owner.workspaceId, 'By key'),
      await remove(owner.auth, member.workspaceId),
      await grant(owner.auth, owner.workspaceId, member.userId),
      await revoke(owner.auth, member.workspaceId, member.userId),
    ]) {
      expect(expectError(res, 'FORBIDDEN').message).toContain('API keys cannot');
    }
    expect(await snapshot(owner.orgId)).toEqual(before);
  });

  it('refuses a session outside its step-up window with "step-up required", changing nothing', async () => {
    const { owner, member } = await org();
    await ageSession(h, owner.token, 'stepUpAt', 11 * 60_000);
    const before = await snapshot(owner.orgId);
    for (const res of [
      await create(owner.cookie, 'Late'),
      await rename(owner.cookie, owner.workspaceId, 'Late'),
      await remove(owner.cookie, member.workspaceId),
      await grant(owner.cookie, owner.workspaceId, member.userId),
      await revoke(owner.cookie, member.workspaceId, member.userId),
    ]) {
      expect(expectError(res, 'FORBIDDEN').message).toContain('step-up required');
    }
    expect(await snapshot(owner.orgId)).toEqual(before);
    // Reading the grants is no mutation.
    expectSuccess(await members(owner.cookie, owner.workspaceId));
  });
});
