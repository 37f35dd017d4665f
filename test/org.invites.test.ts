import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageSession, signIn } from './helpers/browser-session.js';
import { ISO, UUID, expectError, expectSuccess } from './helpers/envelope.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { steppedUp } from './helpers/org.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const SAME_ORIGIN = { 'Sec-Fetch-Site': 'same-origin' };
const PASSWORD = 'a long enough invite password';
const email = () => `${uniq('invitee')}@example.test`;
const invite = (headers: Record<string, string>, body: object) => h.http.post('/api/v1/org/invites').set(headers).send(body);
const accept = (body: object, headers: Record<string, string> = SAME_ORIGIN) =>
  h.http.post('/api/v1/auth/invite/accept').set(headers).send(body);
const tokenOf = (url: string) => url.split('#token=')[1]!;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function ownerWithSession(): Promise<{ owner: Tenant; headers: Record<string, string> }> {
  const owner = await h.tenant();
  return { owner, headers: (await steppedUp(h, owner)).headers };
}

describe('POST /org/invites', () => {
  it('makes a 7-day link shown once; only the token’s SHA-256 is stored; an activity row names the email', async () => {
    const { owner, headers } = await ownerWithSession();
    const to = email();
    const res = await invite(headers, { email: to.toUpperCase(), role: 'admin' });
    const made = expectSuccess(res, 201);
    expect(made).toEqual({
      id: expect.stringMatching(UUID),
      email: to,
      role: 'admin',
      createdAt: expect.stringMatching(ISO),
      expiresAt: expect.stringMatching(ISO),
      url: expect.any(String),
    });
    expect(made.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\/invite#token=[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(made.expiresAt) - Date.parse(made.createdAt)).toBe(7 * 24 * 3600 * 1000);
    const row = await h.db.prisma.orgInvite.findUniqueOrThrow({ where: { id: made.id } });
    expect(row.tokenHash).toBe(sha256(tokenOf(made.url)));
    expect(JSON.stringify(row)).not.toContain(tokenOf(made.url));
    const activity = await h.db.prisma.activity.findMany({ where: { orgId: owner.orgId, kind: 'member.invited' } });
    expect(activity).toHaveLength(1);
    expect(activity[0]!.summary).toContain(to);
    expect(JSON.stringify(activity)).not.toContain(tokenOf(made.url));
    // The list never shows the token.
    const list = expectSuccess(await h.http.get('/api/v1/org/invites').set(owner.auth));
    expect(list.items).toEqual([{ id: made.id, email: to, role: 'admin', createdAt: made.createdAt, expiresAt: made.expiresAt }]);
    expect(JSON.stringify(list)).not.toContain(tokenOf(made.url));
  });

  it('refuses API keys and sessions outside step-up (403), and stores nothing', async () => {
    const owner = await h.tenant();
    expectError(await invite(owner.auth, { email: email(), role: 'member' }), 'FORBIDDEN');
    const s = await steppedUp(h, owner);
    await ageSession(h, s.token, 'stepUpAt', 11 * 60_000);
    expect(expectError(await invite(s.headers, { email: email(), role: 'member' }), 'FORBIDDEN').message).toContain('step-up required');
    expect(await h.db.prisma.orgInvite.count({ where: { orgId: owner.orgId } })).toBe(0);
  });

  it('answers 409 for someone already a member; a second invite of one email replaces the first', async () => {
    const { owner, headers } = await ownerWithSession();
    const member = await h.colleague(owner);
    expectError(await invite(headers, { email: member.email, role: 'member' }), 'CONFLICT');
    const to = email();
    const first = expectSuccess(await invite(headers, { email: to, role: 'member' }), 201);
    const second = expectSuccess(await invite(headers, { email: to, role: 'admin' }), 201);
    const list = expectSuccess(await h.http.get('/api/v1/org/invites').set(owner.auth));
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([second.id]);
    expectError(await accept({ token: tokenOf(first.url), password: PASSWORD }), 'NOT_FOUND');
    expect(expectSuccess(await accept({ token: tokenOf(second.url), password: PASSWORD })).role).toBe('admin');
  });

  it('lets admins invite members and admins but not owners; members invite nobody; members cannot list', async () => {
    const owner = await h.tenant();
    const admin = await steppedUp(h, await h.colleague(owner, { role: 'admin' }));
    const memberT = await h.colleague(owner);
    const member = await steppedUp(h, memberT);
    expectError(await invite(admin.headers, { email: email(), role: 'owner' }), 'FORBIDDEN');
    expectSuccess(await invite(admin.headers, { email: email(), role: 'admin' }), 201);
    expectError(await invite(member.headers, { email: email(), role: 'member' }), 'FORBIDDEN');
    expectError(await h.http.get('/api/v1/org/invites').set(memberT.auth), 'FORBIDDEN');
    expect(await h.db.prisma.orgInvite.count({ where: { orgId: owner.orgId } })).toBe(1);
  });

  it('refuses a malformed email or role (422)', async () => {
    const { headers } = await ownerWithSession();
    expectError(await invite(headers, { email: 'not an email', role: 'member' }), 'VALIDATION_ERROR');
    expectError(await invite(headers, { email: email(), role: 'superuser' }), 'VALIDATION_ERROR');
  });
});

describe('DELETE /org/invites/{id}', () => {
  it('revokes an open invite (its link stops working); again, or from another org, is 404; keys get 403', async () => {
    const { owner, headers } = await ownerWithSession();
    const made = expectSuccess(await invite(headers, { email: email(), role: 'member' }), 201);
    expectError(await h.http.delete(`/api/v1/org/invites/${made.id}`).set(owner.auth), 'FORBIDDEN');
    const other = await ownerWithSession();
    expectError(await h.http.delete(`/api/v1/org/invites/${made.id}`).set(other.headers), 'NOT_FOUND');
    expect(expectSuccess(await h.http.delete(`/api/v1/org/invites/${made.id}`).set(headers))).toEqual({ deleted: true });
    expectError(await h.http.delete(`/api/v1/org/invites/${made.id}`).set(headers), 'NOT_FOUND');
    expectError(await accept({ token: tokenOf(made.url), password: PASSWORD }), 'NOT_FOUND');
    expect(await h.db.prisma.activity.count({ where: { orgId: owner.orgId, kind: 'member.invite_revoked' } })).toBe(1);
  });

  it("does not let an admin revoke an owner's invitation to become owner", async () => {
    const { owner, headers } = await ownerWithSession();
    const made = expectSuccess(await invite(headers, { email: email(), role: 'owner' }), 201);
    const admin = await steppedUp(h, await h.colleague(owner, { role: 'admin' }));
    expectError(await h.http.delete(`/api/v1/org/invites/${made.id}`).set(admin.headers), 'FORBIDDEN');
    expect((await h.db.prisma.orgInvite.findUniqueOrThrow({ where: { id: made.id } })).revokedAt).toBeNull();
  });
});

describe('POST /auth/invite/accept', () => {
  it('creates a new user with the password, a membership with the role and the oldest workspace; the link works once', async () => {
    const { owner, headers } = await ownerWithSession();
    const to = email();
    const made = expectSuccess(await invite(headers, { email: to, role: 'member' }), 201);
    const res = await accept({ token: tokenOf(made.url), password: PASSWORD, name: 'Grace Hopper' });
    const joined = expectSuccess(res);
    expect(joined).toEqual({
      userId: expect.stringMatching(UUID),
      email: to,
      role: 'member',
      org: { id: owner.orgId, slug: owner.orgSlug, name: expect.any(String) },
    });
    // It does not sign in: no cookie.
    expect(res.headers['set-cookie']).toBeUndefined();
    const m = await h.db.prisma.membership.findUniqueOrThrow({ where: { orgId_userId: { orgId: owner.orgId, userId: joined.userId } } });
    expect(m).toMatchObject({ role: 'member', currentWorkspaceId: owner.workspaceId });
    expect(await h.db.prisma.workspaceAccess.count({ where: { userId: joined.userId, workspaceId: owner.workspaceId } })).toBe(1);
    expect((await h.db.prisma.user.findUniqueOrThrow({ where: { id: joined.userId } })).name).toBe('Grace Hopper');
    expect(await h.db.prisma.activity.count({ where: { orgId: owner.orgId, kind: 'member.joined', subjectId: joined.userId } })).toBe(1);
    // Signing in works with the password, into this org, and the new member sees its workspace.
    const signed = await signIn(h.http, to, PASSWORD, { org: owner.orgSlug });
    expect(expectSuccess(await h.http.get('/api/v1/me').set(signed.headers)).currentWorkspace.id).toBe(owner.workspaceId);
    // Used: the same 404 as an unknown token.
    const used = expectError(await accept({ token: tokenOf(made.url), password: PASSWORD }), 'NOT_FOUND');
    const unknown = expectError(await accept({ token: 'x'.repeat(43), password: PASSWORD }), 'NOT_FOUND');
    expect(used.message).toBe(unknown.message);
  });

  it('for an existing user needs their own password (401 as a wrong sign-in), then adds the membership', async () => {
    const { owner, headers } = await ownerWithSession();
    const elsewhere = await h.tenant();
    const { password } = await steppedUp(h, elsewhere);
    const made = expectSuccess(await invite(headers, { email: elsewhere.email, role: 'admin' }), 201);
    const wrong = expectError(await accept({ token: tokenOf(made.url), password: 'not the password at all' }), 'UNAUTHORIZED');
    expect(wrong.message).toBe('Wrong email or password');
    expect(await h.db.prisma.membership.count({ where: { orgId: owner.orgId, userId: elsewhere.userId } })).toBe(0);
    const joined = expectSuccess(await accept({ token: tokenOf(made.url), password }));
    expect(joined).toMatchObject({ userId: elsewhere.userId, role: 'admin' });
    expect(await h.db.prisma.membership.count({ where: { userId: elsewhere.userId } })).toBe(2);
  });

  it('answers the same 404 for an expired invite (aged in the database)', async () => {
    const { owner, headers } = await ownerWithSession();
    const made = expectSuccess(await invite(headers, { email: email(), role: 'member' }), 201);
    await h.db.prisma.orgInvite.update({ where: { id: made.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = expectError(await accept({ token: tokenOf(made.url), password: PASSWORD }), 'NOT_FOUND');
    expect(expired.message).toContain('unknown, expired, revoked or already used');
    expect(await h.db.prisma.membership.count({ where: { orgId: owner.orgId } })).toBe(1);
    // And expired invites leave the list.
    expect(expectSuccess(await h.http.get('/api/v1/org/invites').set(owner.auth)).items).toEqual([]);
  });

  it('applies the password policy to a new user (422) and leaves the link usable', async () => {
    const { headers } = await ownerWithSession();
    const made = expectSuccess(await invite(headers, { email: email(), role: 'member' }), 201);
    const weak = expectError(await accept({ token: tokenOf(made.url), password: 'short' }), 'VALIDATION_ERROR');
    expect(weak.details).toEqual([{ path: 'body.password', message: expect.any(String) }]);
    expectSuccess(await accept({ token: tokenOf(made.url), password: PASSWORD }));
  });

  it('of two concurrent uses, exactly one wins; the other finds the link used (404)', async () => {
    const { owner, headers } = await ownerWithSession();
    const made = expectSuccess(await invite(headers, { email: email(), role: 'member' }), 201);
    const answers = await Promise.all([1, 2].map(() => accept({ token: tokenOf(made.url), password: PASSWORD })));
    // The loser finds the link used: the same 404 as any used link.
    expect(answers.map((r) => r.status).sort()).toEqual([200, 404]);
    expect(await h.db.prisma.membership.count({ where: { orgId: owner.orgId } })).toBe(2);
  });

  it('is guarded against login CSRF: a request from another site is 403 and uses nothing; a key is refused', async () => {
    const { owner, headers } = await ownerWithSession();
    const made = expectSuccess(await invite(headers, { email: email(), role: 'member' }), 201);
    const body = { token: tokenOf(made.url), password: PASSWORD };
    expectError(await accept(body, { 'Sec-Fetch-Site': 'cross-site' }), 'FORBIDDEN');
    expectError(await accept(body, { Origin: 'https://evil.example' }), 'FORBIDDEN');
    expectError(await accept(body, { ...SAME_ORIGIN, ...owner.auth }), 'FORBIDDEN');
    expect((await h.db.prisma.orgInvite.findUniqueOrThrow({ where: { id: made.id } })).acceptedAt).toBeNull();
    expectSuccess(await accept(body));
  });
});

describe('the sensitive limit', () => {
  it('limits acceptance attempts per client like sign-in (400 Too many requests)', async () => {
    const limited = await h.rebuild({ DISABLE_RATE_LIMIT: '', KEY_MINT_LIMIT_PER_MINUTE: '2' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (
          await limited.http
            .post('/api/v1/auth/invite/accept')
            .set(SAME_ORIGIN)
            .send({ token: `unknown-${i}`, password: PASSWORD })
        ).status,
      );
    }
    expect(statuses.slice(0, 2)).toEqual([404, 404]);
    expect(statuses[3]).toBe(400);
  });
});
