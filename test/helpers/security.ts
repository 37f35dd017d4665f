import { describe, expect, it } from 'vitest';
import type { Scope } from '../../generated/sdk/types.gen.js';
import { expectError } from './envelope.js';
import type { Harness, Tenant } from './harness.js';

const ALL_SCOPES: Scope[] = ['agents:read', 'agents:write', 'sessions:read', 'sessions:write', 'keys:read', 'keys:write'];

export interface Target {
  /** Every path that addresses the resource, such as by UUID and by slug. */
  paths: string[];
  /** A snapshot of the resource, compared before and after each refused request. */
  snapshot(): Promise<unknown>;
}

export interface RouteCase {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Label such as `/agents/:id`. */
  route: string;
  /** Scopes the contract requires. */
  scopes: Scope[];
  body?: object;
  /** Creates the resource in `owner`'s current workspace. */
  target(h: Harness, owner: Tenant): Promise<Target>;
}

/**
 * The attacks every `:id` route must withstand: no key (401), another org's key (404, by every path),
 * a member who cannot see the resource (404: another workspace's row, or another user's key), and a key
 * without each of the route's scopes (403; skipped for a route that needs none).
 * After each refusal the resource must be unchanged.
 */
export function describeRouteSecurity(harness: () => Harness, cases: RouteCase[]) {
  for (const c of cases) {
    describe(`${c.method.toUpperCase()} ${c.route} security`, () => {
      const send = (h: Harness, path: string, auth?: { Authorization: string }) => {
        const req = h.http[c.method](`/api/v1${path}`);
        if (auth) req.set(auth);
        return c.body ? req.send(c.body) : req;
      };

      it('answers 401 without a key', async () => {
        const h = harness();
        const owner = await h.tenant();
        const target = await c.target(h, owner);
        const before = await target.snapshot();
        for (const path of target.paths) expectError(await send(h, path), 'UNAUTHORIZED');
        expect(await target.snapshot()).toEqual(before);
      });

      it("answers 404 to another organization's key, by every path", async () => {
        const h = harness();
        const owner = await h.tenant();
        const stranger = await h.tenant();
        const target = await c.target(h, owner);
        const before = await target.snapshot();
        for (const path of target.paths) expectError(await send(h, path, stranger.auth), 'NOT_FOUND');
        expect(await target.snapshot()).toEqual(before);
      });

      it('answers 404 to a member of the org who cannot see the workspace', async () => {
        const h = harness();
        const owner = await h.tenant();
        const member = await h.colleague(owner, { role: 'member' });
        const target = await c.target(h, owner);
        const before = await target.snapshot();
        for (const path of target.paths) expectError(await send(h, path, member.auth), 'NOT_FOUND');
        expect(await target.snapshot()).toEqual(before);
      });

      // A route that needs no scope (such as GET /workspaces/:id) has no key to refuse for want of one.
      if (c.scopes.length === 0) return;

      it(`answers 403 to a key without ${c.scopes.join(' + ')}`, async () => {
        const h = harness();
        const owner = await h.tenant();
        const target = await c.target(h, owner);
        const before = await target.snapshot();
        for (const missing of c.scopes) {
          const key = await h.keyWithScopes(
            owner,
            ALL_SCOPES.filter((s) => s !== missing),
          );
          for (const path of target.paths) expectError(await send(h, path, { Authorization: `Bearer ${key}` }), 'FORBIDDEN');
        }
        expect(await target.snapshot()).toEqual(before);
      });
    });
  }
}
