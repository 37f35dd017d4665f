import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Express } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../server/logger.js';
import { fromRoot } from '../server/paths.js';
import { errorHandler } from '../server/plugins/error-handler.js';
import { dashboardAppRoutes } from '../server/routes/dashboard-app.js';
import { ensureDashboardBuilt } from './helpers/dashboard-browser.js';
import { startHarness, type Harness } from './helpers/harness.js';

// How the server hands out the dashboard's files (server/routes/dashboard-app.ts): the built page at
// /dashboard under the server's strict CSP, the page's own paths answered with index.html, and a plain
// 503 when the page was never built.

let h: Harness;
let app: Express;
beforeAll(async () => {
  await ensureDashboardBuilt();
  h = await startHarness();
  // The app as server/app.ts builds it: a dashboard it stopped mounting fails here.
  app = h.app;
}, 180_000);
afterAll(() => h?.close());

const asset = (ext: string) => readdirSync(fromRoot('dist', 'dashboard', 'assets')).find((f) => f.endsWith(ext))!;

describe('GET /dashboard', () => {
  it('serves the page with no key, under a CSP that allows no inline script or style attribute', async () => {
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/index.html']) {
      const res = await supertest(app).get(path);
      expect(res.status, path).toBe(200);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('<div id="app"></div>');
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toContain("script-src-attr 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    }
  });

  it('ships only files of its own origin: module scripts and stylesheets, nothing inline, no CDN', async () => {
    const html = (await supertest(app).get('/dashboard/')).text;
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/); // every script has a src
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect(html).not.toMatch(/https?:\/\//);
    const script = await supertest(app).get(`/dashboard/assets/${asset('.js')}`);
    expect(script.status).toBe(200);
    expect(script.type).toBe('text/javascript');
    expect(script.headers['cache-control']).toContain('immutable');
    expect((await supertest(app).get(`/dashboard/assets/${asset('.css')}`)).type).toBe('text/css');
  });

  it("answers the page's own paths with index.html, and a missing asset with the API's 404", async () => {
    for (const path of [
      '/dashboard/agents',
      '/dashboard/agents/scout',
      '/dashboard/set-password',
      '/dashboard/invite',
      '/dashboard/sessions/1f0e',
      '/dashboard/projects/tide',
    ]) {
      const res = await supertest(app).get(path);
      expect(res.status, path).toBe(200);
      expect(res.text).toContain('<div id="app"></div>');
    }
    const missing = await supertest(app).get('/dashboard/assets/nothing-here.js');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    // Only GET and HEAD are the page's; anything else is left to the API, which knows no such route.
    expect((await supertest(app).post('/dashboard/agents').send({})).status).toBe(404);
    // Not a prefix match: /dashboardx is not the dashboard.
    expect((await supertest(app).get('/dashboardx')).status).toBe(404);
  });

  it('answers 503 in the envelope, saying how to build it, when the page was never built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'alumia-no-dashboard-'));
    const bare = express()
      .use(dashboardAppRoutes(empty))
      .use(errorHandler({ logger: createLogger('silent'), isProduction: false }));
    const res = await supertest(bare).get('/dashboard/agents');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(res.body.error.message).toContain('npm run dashboard');
  });
});
