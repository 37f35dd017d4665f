import type { AuthSession, BrowserSession, LoginRequest, Role } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type PrismaClient, type Sql } from '../db/database.js';
import {
  LAST_SEEN_RESOLUTION_MS,
  USER_AGENT_MAX,
  generateSessionToken,
  hashSessionToken,
  sessionEnded,
  stepUpUntil,
} from '../domain/browser-sessions.js';
import { ApiError, notFound } from '../errors.js';
import type { Caller } from './caller.js';
import { iso, isoOrNull } from './serialize.js';
import { workspaceVisibleSql } from './tenancy.js';

/** What the session store needs from the password store (server/data/passwords.ts). */
export interface PasswordChecks {
  verifyLogin(email: string, password: string): Promise<{ userId: string } | null>;
  verifyUser(userId: string, password: string): Promise<boolean>;
}

export interface SessionLifetimes {
  /** Without a request for this long, a session ends. */
  idleMs: number;
  /** A session ends this long after login, however active. */
  maxMs: number;
  /** Browser-only operations are allowed for this long after a password check. */
  stepUpMs: number;
}

/** A session row joined with what a request needs about its user, membership and org. */
interface SessionIdentity {
  sessionId: string;
  userId: string;
  orgId: string;
  lastSeenAt: Date;
  expiresAt: Date;
  stepUpAt: Date | null;
  revokedAt: Date | null;
  email: string;
  userName: string | null;
  role: Role;
  orgSlug: string;
  orgName: string;
  currentWorkspaceId: string | null;
}

// Runs on every cookie request (by token hash) and for the session's own description (by id).
const identitySql = (where: string) => `
  SELECT s.id AS "sessionId", s."userId", s."orgId", s."lastSeenAt", s."expiresAt", s."stepUpAt", s."revokedAt",
         u.email, u.name AS "userName", m.role::text AS role, o.slug AS "orgSlug", o.name AS "orgName",
         CASE WHEN w.id IS NOT NULL AND w."deletedAt" IS NULL AND ${workspaceVisibleSql('w', 'm.role::text', 's."userId"')}
              THEN w.id END AS "currentWorkspaceId"
  FROM "BrowserSession" s
  JOIN "Organization" o ON o.id = s."orgId" AND o."deletedAt" IS NULL
  JOIN "User" u ON u.id = s."userId" AND u."deletedAt" IS NULL
  JOIN "Membership" m ON m."orgId" = s."orgId" AND m."userId" = s."userId"
  LEFT JOIN "Workspace" w ON w.id = m."currentWorkspaceId" AND w."orgId" = s."orgId"
  WHERE ${where}`;
const BY_HASH = identitySql('s."tokenHash" = $1');
const BY_ID = identitySql('s.id = $1::uuid');

const LIST_LIMIT = 100;
const WRONG_LOGIN = 'Wrong email or password';

/** A new cookie value and the session it opens (or re-opens). */
export interface IssuedSession {
  token: string;
  session: AuthSession;
}

/**
 * Dashboard sessions: login, the cookie's caller, step-up, sign-out and the user's own list. No cache: a
 * sign-out or revocation must end the session on every server at once, and the look-up is one indexed
 * read; the only write per request is lastSeenAt, at most once a minute.
 */
export class BrowserSessionStore {
  private readonly prisma: PrismaClient;
  private readonly passwords: PasswordChecks;
  private readonly lifetimes: SessionLifetimes;
  private readonly keyEnv: 'live' | 'test';
  private readonly sql: Sql;
  /** Whether the cookie carries Secure (production servers); the routes and auth set and clear it. */
  readonly secureCookies: boolean;

  constructor(options: {
    prisma: PrismaClient;
    passwords: PasswordChecks;
    lifetimes: SessionLifetimes;
    keyEnv: 'live' | 'test';
    secureCookies: boolean;
    sql?: Sql;
  }) {
    this.prisma = options.prisma;
    this.passwords = options.passwords;
    this.lifetimes = options.lifetimes;
    this.keyEnv = options.keyEnv;
    this.sql = options.sql ?? sqlThroughPrisma(options.prisma);
    this.secureCookies = options.secureCookies;
  }

  /**
   * Checks the password and opens a session in the user's oldest live membership, or the one `org` names.
   * A wrong email and a wrong password are the same 401 (the password store equalizes their timing). The
   * session of the cookie the browser sent along, if any, ends: a browser holds one session, and an id
   * planted before sign-in never becomes a signed-in one.
   */
  async login(body: LoginRequest, userAgent: string | undefined, previousToken?: string): Promise<IssuedSession> {
    const found = await this.passwords.verifyLogin(body.email.trim(), body.password);
    if (!found) throw new ApiError('UNAUTHORIZED', WRONG_LOGIN);
    const membership = await this.prisma.membership.findFirst({
      where: { userId: found.userId, org: { deletedAt: null, ...(body.org ? { slug: body.org } : {}) } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: { orgId: true },
    });
    if (!membership) {
      throw new ApiError('FORBIDDEN', body.org ? `You are not a member of organization ${body.org}` : 'This user belongs to no organization');
    }
    const token = generateSessionToken();
    const now = new Date();
    const row = await this.prisma.browserSession.create({
      data: {
        tokenHash: hashSessionToken(token),
        userId: found.userId,
        orgId: membership.orgId,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + this.lifetimes.maxMs),
        stepUpAt: now,
        userAgent: userAgent ? [...userAgent].slice(0, USER_AGENT_MAX).join('') : null,
      },
      select: { id: true },
    });
    if (previousToken) {
      await this.prisma.browserSession.updateMany({ where: { tokenHash: hashSessionToken(previousToken), revokedAt: null }, data: { revokedAt: new Date() } });
    }
    return { token, session: await this.describe(row.id) };
  }

  /** The caller behind a cookie value, or a 401 saying why not. */
  async authenticate(token: string): Promise<Caller> {
    const unauthorized = (message: string) => new ApiError('UNAUTHORIZED', message);
    const [identity] = await this.sql<SessionIdentity>(BY_HASH, [hashSessionToken(token)]);
    if (!identity) throw unauthorized('Unknown session; sign in again');
    const now = Date.now();
    const ended = sessionEnded(identity, this.lifetimes.idleMs, now);
    if (ended) throw unauthorized(ended);
    if (now - identity.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      // The WHERE clause keeps several servers from all writing in the same minute.
      await this.prisma.browserSession.updateMany({
        where: { id: identity.sessionId, lastSeenAt: { lt: new Date(now - LAST_SEEN_RESOLUTION_MS) } },
        data: { lastSeenAt: new Date(now) },
      });
    }
    return {
      via: 'session',
      keyId: null,
      keyPrefix: null,
      keyName: identity.email,
      userName: identity.userName,
      orgId: identity.orgId,
      userId: identity.userId,
      role: identity.role,
      scopes: ['*'],
      keyEnv: this.keyEnv,
      currentWorkspaceId: identity.currentWorkspaceId,
      browserSessionId: identity.sessionId,
      stepUpUntil: stepUpUntil(identity.stepUpAt, this.lifetimes.stepUpMs),
    };
  }

  /** The caller's own session, as the dashboard shows it. */
  current(caller: Caller): Promise<AuthSession> {
    return this.describe(sessionOf(caller));
  }

  /** Checks the password again, re-opens the step-up window and replaces the cookie value. */
  async stepUp(caller: Caller, password: string): Promise<IssuedSession> {
    const id = sessionOf(caller);
    if (!(await this.passwords.verifyUser(caller.userId, password))) {
      throw new ApiError('FORBIDDEN', 'Wrong password: step-up refused', [{ path: 'body.password', message: 'is not the password of this user' }]);
    }
    const token = generateSessionToken();
    const { count } = await this.prisma.browserSession.updateMany({
      where: { id, revokedAt: null },
      data: { tokenHash: hashSessionToken(token), stepUpAt: new Date() },
    });
    // Signed out by another request in between.
    if (count === 0) throw new ApiError('UNAUTHORIZED', 'This session has been signed out');
    return { token, session: await this.describe(id) };
  }

  /** Ends the caller's own session. */
  async logout(caller: Caller): Promise<void> {
    await this.prisma.browserSession.updateMany({ where: { id: sessionOf(caller), revokedAt: null }, data: { revokedAt: new Date() } });
  }

  /** The user's sessions that still work, newest first. */
  async list(caller: Caller): Promise<BrowserSession[]> {
    const rows = await this.prisma.browserSession.findMany({
      where: { userId: caller.userId, ...this.working() },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: LIST_LIMIT,
    });
    return rows.map((r) => ({
      id: r.id,
      createdAt: iso(r.createdAt),
      lastSeenAt: iso(r.lastSeenAt),
      expiresAt: iso(r.expiresAt),
      userAgent: r.userAgent,
      current: r.id === caller.browserSessionId,
    }));
  }

  /** Ends one of the user's own sessions; another user's, or one already ended, is not found. */
  async revoke(caller: Caller, id: string): Promise<void> {
    const { count } = await this.prisma.browserSession.updateMany({
      where: { id, userId: caller.userId, ...this.working() },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw notFound('Session');
  }

  /** Rows of sessions that still work (the conditions of `sessionEnded`). */
  private working(now = new Date()) {
    return { revokedAt: null, expiresAt: { gt: now }, lastSeenAt: { gt: new Date(now.getTime() - this.lifetimes.idleMs) } };
  }

  private async describe(id: string): Promise<AuthSession> {
    const [s] = await this.sql<SessionIdentity>(BY_ID, [id]);
    // Just created or authenticated: gone only if the user or org was deleted in between.
    if (!s) throw new ApiError('UNAUTHORIZED', 'Unknown session; sign in again');
    return {
      user: { id: s.userId, email: s.email, name: s.userName },
      org: { id: s.orgId, slug: s.orgSlug, name: s.orgName },
      role: s.role,
      sessionId: s.sessionId,
      expiresAt: iso(s.expiresAt),
      stepUpUntil: isoOrNull(stepUpUntil(s.stepUpAt, this.lifetimes.stepUpMs)),
    };
  }
}

/** The caller's session id; the contract lets only cookie callers reach the operations that ask. */
function sessionOf(caller: Caller): string {
  if (!caller.browserSessionId) throw new ApiError('FORBIDDEN', 'This operation is for dashboard sessions, not API keys');
  return caller.browserSessionId;
}
