import { describe, expect, it } from 'vitest';
import type { Role } from '../../generated/sdk/types.gen.js';
import {
  ACCEPT_INVITE_OPERATION,
  INVITE_TTL_MS,
  inviteUrl,
  memberSummary,
  normalizeEmail,
  requireAnOwnerLeft,
  requireManager,
  requireMayGrant,
  requireMayManage,
} from '../../server/domain/members.js';
import { asData, thrown } from './thrown.js';

const ROLES: Role[] = ['owner', 'admin', 'member'];
const passes = (fn: () => void) => expect(fn).not.toThrow();
const forbidden = (fn: () => void, message: string) =>
  expect(asData(thrown(fn))).toEqual({ status: 403, code: 'FORBIDDEN', message, details: undefined });
const NOT_MANAGER = 'Only owners and admins manage the organization';

describe('requireManager', () => {
  it('passes owners and admins and refuses members', () => {
    passes(() => requireManager('owner'));
    passes(() => requireManager('admin'));
    forbidden(() => requireManager('member'), NOT_MANAGER);
  });
});

describe('requireMayGrant', () => {
  it('lets owners grant every role, admins every role but owner, members none', () => {
    for (const role of ROLES) passes(() => requireMayGrant('owner', role));
    passes(() => requireMayGrant('admin', 'admin'));
    passes(() => requireMayGrant('admin', 'member'));
    forbidden(() => requireMayGrant('admin', 'owner'), 'Only owners can make someone an owner');
    for (const role of ROLES) forbidden(() => requireMayGrant('member', role), NOT_MANAGER);
  });
});

describe('requireMayManage', () => {
  it('lets owners manage everyone, themselves included', () => {
    for (const target of ROLES) {
      passes(() => requireMayManage('owner', target, false));
      passes(() => requireMayManage('owner', target, true, 'member'));
      for (const next of ROLES) passes(() => requireMayManage('owner', target, false, next));
    }
  });

  it('lets admins manage members only, never to owner, never themselves', () => {
    passes(() => requireMayManage('admin', 'member', false));
    passes(() => requireMayManage('admin', 'member', false, 'admin'));
    passes(() => requireMayManage('admin', 'member', false, 'member'));
    forbidden(() => requireMayManage('admin', 'member', false, 'owner'), 'Only owners can make someone an owner');
    forbidden(() => requireMayManage('admin', 'owner', false), 'Admins manage members only; this user is an owner');
    forbidden(() => requireMayManage('admin', 'admin', false, 'member'), 'Admins manage members only; this user is an admin');
    forbidden(() => requireMayManage('admin', 'admin', true), 'Admins manage members only; this user is you');
    forbidden(() => requireMayManage('admin', 'member', true), 'Admins manage members only; this user is you');
  });

  it('lets members manage nobody', () => {
    for (const target of ROLES) forbidden(() => requireMayManage('member', target, false, 'member'), NOT_MANAGER);
    forbidden(() => requireMayManage('member', 'member', true), NOT_MANAGER);
  });
});

describe('requireAnOwnerLeft', () => {
  const LAST = 'The last owner can be neither demoted nor removed; make another member an owner first';
  it('refuses demoting or removing the only owner (409)', () => {
    for (const next of ['admin', 'member', undefined] as const) {
      expect(asData(thrown(() => requireAnOwnerLeft('owner', next, 1)))).toEqual({
        status: 409,
        code: 'CONFLICT',
        message: LAST,
        details: undefined,
      });
      // Zero owners counted (a race the lock prevents) is refused the same.
      expect(thrown(() => requireAnOwnerLeft('owner', next, 0)).code).toBe('CONFLICT');
    }
  });

  it('passes when another owner remains, when the owner stays owner, and for non-owners', () => {
    passes(() => requireAnOwnerLeft('owner', 'member', 2));
    passes(() => requireAnOwnerLeft('owner', undefined, 2));
    passes(() => requireAnOwnerLeft('owner', 'owner', 1));
    passes(() => requireAnOwnerLeft('admin', undefined, 1));
    passes(() => requireAnOwnerLeft('member', 'admin', 1));
  });
});

describe('invites', () => {
  it('last 7 days', () => {
    expect(INVITE_TTL_MS).toBe(604_800_000);
  });

  it('link to the dashboard page with the token in the fragment, whatever trailing slashes the origin has', () => {
    expect(inviteUrl('https://a.example', 'tok')).toBe('https://a.example/dashboard/invite#token=tok');
    expect(inviteUrl('https://a.example//', 'tok')).toBe('https://a.example/dashboard/invite#token=tok');
  });

  it('compare emails trimmed and lower-cased', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
  });

  it('are accepted through the operation the CSRF rule names', () => {
    expect(ACCEPT_INVITE_OPERATION).toBe('acceptOrgInvite');
  });
});

describe('memberSummary', () => {
  const user = { type: 'user' as const, id: null, name: 'Ada' };
  const key = { type: 'api_key' as const, id: null, name: 'ci' };
  it('says what happened to whom, by whom', () => {
    expect(memberSummary('invited', 'g@x.test', user, 'admin')).toBe('g@x.test was invited as admin by Ada');
    expect(memberSummary('invite_revoked', 'g@x.test', user)).toBe('The invite of g@x.test was revoked by Ada');
    expect(memberSummary('joined', 'g@x.test', user, 'member')).toBe('g@x.test joined as member');
    expect(memberSummary('updated', 'g@x.test', key, 'owner')).toBe('g@x.test was made owner by key "ci"');
    expect(memberSummary('removed', 'g@x.test', user)).toBe('g@x.test was removed by Ada');
  });
});
