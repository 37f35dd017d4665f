import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

describe('health, contract and docs', () => {
  it('GET /healthz answers 200 without a key', async () => {
    expect(expectSuccess(await h.http.get('/healthz'))).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 when the database answers', async () => {
    expect(expectSuccess(await h.http.get('/readyz'))).toEqual({ status: 'ready' });
  });

  it('GET /api/v1/openapi.json serves the contract without a key', async () => {
    const res = await h.http.get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/me', '/workspaces', '/workspaces/{id}', '/api-keys', '/api-keys/{id}', '/models']),
    );
  });

  it('GET /api/v1/openapi.yaml serves the same contract as YAML without a key', async () => {
    const [yaml, json] = await Promise.all([h.http.get('/api/v1/openapi.yaml'), h.http.get('/api/v1/openapi.json')]);
    expect(yaml.status).toBe(200);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(parseYaml(yaml.text)).toEqual(json.body);
  });

  it('/docs serves the rendered reference as HTML without a key', async () => {
    const res = await h.http.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).toContain('Alumia');
    // The bare path redirects to the directory.
    const bare = await h.http.get('/docs').redirects(0);
    expect([200, 301, 302]).toContain(bare.status);
  });

  it('sends helmet security headers and no X-Powered-By, on successes and errors alike', async () => {
    for (const res of [await h.http.get('/api/v1/me').set(t.auth), await h.http.get('/nope'), await h.http.get('/api/v1/me')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
