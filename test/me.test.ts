import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('GET /api/v1/me', () => {
  it('describes the key owner, org, role and current workspace', async () => {
    const t = await h.tenant();
    const res = await h.http.get('/api/v1/me').set(t.auth).expect(200);
    expect(res.body).toEqual({
      success: true,
      data: {
        user: { id: t.userId, email: t.email, name: null },
        org: { id: t.orgId, slug: t.orgSlug, name: t.orgSlug },
        role: 'owner',
        currentWorkspace: expect.objectContaining({ id: t.workspaceId, slug: t.workspaceSlug, orgId: t.orgId }),
        apiKey: { id: expect.any(String), prefix: t.key.slice(0, 12), scopes: ['*'], env: 'test' },
      },
    });
  });
});
