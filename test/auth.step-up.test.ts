import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from './helpers/fixtures.js';
import { ageSession, cookieHeaders, givePassword, sessionCookie, sessionRow, signIn } from './helpers/browser-session.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
let password: string;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  password = await givePassword(h, t);
});
afterAll(() => h.close());

const MINUTE = 60_000;
const stepUp = (token: string, pw: string) => h.http.post('/api/v1/auth/step-up').set(cookieHeaders(token)).send({ password: pw });
/** A browser-only operation: revoking one of the user's sessions (a second one, made for it). */
async function revokeSecond(headers: Record<string, string>) {
  const second = await signIn(h.http, t.email, password);
  return h.http.delete(`/api/v1/auth/sessions/${expectSuccess(second.res).sessionId}`).set(headers);
}

function expectStepUpRequired(res: Parameters<typeof expectError>[0]) {
  const error = expectError(res, 'FORBIDDEN');
  expect(error.message).toContain('step-up required');
  expect(error.details).toEqual([{ path: 'stepUp', message: expect.any(String) }]);
}

describe('the step-up window', () => {
  it('opens at login: a browser-only operation passes right after signing in', async () => {
    const { headers } = await signIn(h.http, t.email, password);
    expectSuccess(await revokeSecond(headers));
  });

  it('closes after STEP_UP_MINUTES (10): then 403 "step-up required" with a stepUp detail, and nothing changes', async () => {
    const { token, headers } = await signIn(h.http, t.email, password);
    await ageSession(h, token, 'stepUpAt', 10 * MINUTE + 1_000);
    const second = await signIn(h.http, t.email, password);
    const res = await h.http.delete(`/api/v1/auth/sessions/${expectSuccess(second.res).sessionId}`).set(headers);
    expectStepUpRequired(res);
    expectSuccess(await h.http.get('/api/v1/auth/session').set(second.headers));
    // Outside the window the rest of the API still works.
    expectSuccess(await h.http.get('/api/v1/agents').set(headers));
  });

  it('covers browser-only body fields: an agent’s tools need step-up, its other fields do not', async () => {
    const agent = await createAgent(h, t, { name: 'Stepper' });
    const { token, headers } = await signIn(h.http, t.email, password);
    const patch = (body: object) => h.http.patch(`/api/v1/agents/${agent.id}`).set(headers).send(body);
    expectSuccess(await patch({ allowedTools: ['web-search'] }));
    await ageSession(h, token, 'stepUpAt', 11 * MINUTE);
    expectStepUpRequired(await patch({ allowedTools: [] }));
    expectSuccess(await patch({ description: 'still editable' }));
  });

  it('follows STEP_UP_MINUTES from the configuration, fractions included', async () => {
    const short = await h.rebuild({ STEP_UP_MINUTES: '0.002' }); // 120 ms
    const { token, headers, res } = await signIn(short.http, t.email, password);
    const opened = expectSuccess(res);
    expect(new Date(opened.stepUpUntil).getTime() - (await sessionRow(h, token))!.stepUpAt!.getTime()).toBe(120);
    await sleep(200);
    const second = await signIn(short.http, t.email, password);
    expectStepUpRequired(await short.http.delete(`/api/v1/auth/sessions/${expectSuccess(second.res).sessionId}`).set(headers));
  });

  it('keeps refusing API keys with 403 exactly as before, step-up or not', async () => {
    const res = await h.http.post('/api/v1/workspaces').set(t.auth).send({ name: 'by key' });
    const error = expectError(res, 'FORBIDDEN');
    expect(error.message).toBe('API keys cannot perform createWorkspace; use the dashboard with step-up authentication');
    const agent = await createAgent(h, t, { name: 'Keyed' });
    const patched = await h.http.patch(`/api/v1/agents/${agent.id}`).set(t.auth).send({ allowedTools: [] });
    expect(expectError(patched, 'FORBIDDEN').message).toBe(
      'API keys cannot change allowedTools; use the dashboard with step-up authentication',
    );
    // The session-only browser-only operations refuse keys too, and change nothing.
    const second = await signIn(h.http, t.email, password);
    expectError(await h.http.delete(`/api/v1/auth/sessions/${expectSuccess(second.res).sessionId}`).set(t.auth), 'FORBIDDEN');
    expectSuccess(await h.http.get('/api/v1/auth/session').set(second.headers));
  });
});

describe('POST /auth/step-up', () => {
  it('re-opens the window with the password and replaces the cookie: the old value stops working', async () => {
    const { token } = await signIn(h.http, t.email, password);
    await ageSession(h, token, 'stepUpAt', 11 * MINUTE);
    const sessionId = (await sessionRow(h, token))!.id;
    const res = await stepUp(token, password);
    const data = expectSuccess(res);
    expect(data.sessionId).toBe(sessionId);
    expect(new Date(data.stepUpUntil).getTime()).toBeGreaterThan(Date.now() + 9 * MINUTE);
    const fresh = sessionCookie(res);
    expect(fresh).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });
    expect(fresh.value).not.toBe(token);
    expectError(await h.http.get('/api/v1/auth/session').set(cookieHeaders(token)), 'UNAUTHORIZED');
    expectSuccess(await revokeSecond(cookieHeaders(fresh.value ?? '')));
  });

  it('refuses a wrong password with 403 and leaves the session and its cookie as they were', async () => {
    const { token } = await signIn(h.http, t.email, password);
    await ageSession(h, token, 'stepUpAt', 11 * MINUTE);
    const before = await sessionRow(h, token);
    const res = await stepUp(token, `${password}!`);
    expect(expectError(res, 'FORBIDDEN').message).toContain('Wrong password');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await sessionRow(h, token)).toEqual(before);
    expectStepUpRequired(await revokeSecond(cookieHeaders(token)));
  });

  it('is for dashboard sessions only: an API key gets 403, nothing at all 401', async () => {
    expectError(await h.http.post('/api/v1/auth/step-up').set(t.auth).send({ password }), 'FORBIDDEN');
    expectError(await h.http.post('/api/v1/auth/step-up').send({ password }), 'UNAUTHORIZED');
  });
});
