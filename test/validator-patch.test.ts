// patches/express-openapi-validator+5.6.2.patch (applied by `postinstall`): the validator's operation lookup
// honours 'strict routing' (path-to-regexp v8 wants `trailing: false`, not `strict: true`) and compiles each
// route once instead of on every request. These tests fail on an unpatched install.
import { createRequire } from 'node:module';
import express, { type ErrorRequestHandler, type Express } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTING } from '../server/contract.js';
import { validator } from '../server/plugins/validator.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

/** The validator alone, with the server's routing settings unless told otherwise; what passes it answers 200. */
function validatorApp(routing: { caseSensitive: boolean; strict: boolean } = ROUTING): Express {
  const app = express();
  app.set('case sensitive routing', routing.caseSensitive);
  app.set('strict routing', routing.strict);
  app.use(validator({ validateResponses: false }));
  app.use((_req, res) => {
    res.json({ passed: true });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(err.status ?? 500).json({ status: err.status, message: err.message });
  };
  app.use(onError);
  return app;
}

const VARIANTS = ['/api/v1/agents/', '/api/v1/AGENTS', '/api/v1/Agents/'];

describe('the validator places requests by the same rule as the operation lookup', () => {
  let h: Harness;
  let t: Tenant;
  beforeAll(async () => {
    h = await startHarness();
    t = await h.tenant();
  });
  afterAll(() => h.close());

  it('the contract path passes both', async () => {
    await supertest(validatorApp()).get('/api/v1/agents').expect(200, { passed: true });
    const res = await h.http.get('/api/v1/agents').set(t.auth);
    expect(res.status).toBe(200);
  });

  it.each(VARIANTS)('%s: 404 from the operation lookup, and from the validator on its own', async (path) => {
    const res = await h.http.get(path).set(t.auth);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('No route');
    // Unpatched, the validator ignored 'strict routing' and let /api/v1/agents/ through (200 here).
    await supertest(validatorApp()).get(path).expect(404, { status: 404, message: 'not found' });
  });

  it('still honours the settings when an app turns them off, per option set', async () => {
    const loose = validatorApp({ caseSensitive: false, strict: false });
    await supertest(loose).get('/api/v1/agents/').expect(200);
    await supertest(loose).get('/api/v1/AGENTS').expect(200);
    // The settings are read on every request: changing them at run time switches to the other compiled set.
    const app = validatorApp();
    await supertest(app).get('/api/v1/agents/').expect(404);
    app.set('strict routing', false);
    await supertest(app).get('/api/v1/agents/').expect(200);
    app.set('strict routing', true);
    await supertest(app).get('/api/v1/agents/').expect(404);
  });
});

describe('the route regexps are compiled once, not per request', () => {
  it('no pathToRegexp call after the first request', async () => {
    // The very module object the validator's dist requires (node_modules are not transformed by vitest).
    const requireFromValidator = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'));
    const ptr = requireFromValidator('path-to-regexp') as { pathToRegexp: (...a: unknown[]) => unknown };
    const original = ptr.pathToRegexp;
    let calls = 0;
    ptr.pathToRegexp = (...a: unknown[]) => {
      calls++;
      return original(...a);
    };
    try {
      const http = supertest(validatorApp());
      await http.get('/api/v1/agents').expect(200); // compiles the routes it walks past
      const warm = calls;
      expect(warm).toBeGreaterThan(0); // the spy sees the validator's calls
      for (let i = 0; i < 20; i++) await http.get('/api/v1/agents').expect(200);
      expect(calls).toBe(warm); // unpatched: one call per route walked, on every request
      await http.get('/api/v1/no-such-path').expect(404); // walks (and compiles) every route
      const walked = calls;
      for (let i = 0; i < 20; i++) await http.get('/api/v1/no-such-path').expect(404);
      expect(calls).toBe(walked);
    } finally {
      ptr.pathToRegexp = original;
    }
  });
});
