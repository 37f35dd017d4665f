import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordStore } from '../server/data/passwords.js';
import { ageSession, COOKIE, cookieHeaders, SAME_ORIGIN, signIn } from './helpers/browser-session.js';
import {
  ensureDashboardBuilt,
  formPage,
  openProfile,
  screenshot,
  serveDashboard,
  waitForHeading,
  type SeenRequest,
} from './helpers/dashboard-browser.js';
import { chromiumOrWarn, launchChromium } from './helpers/chromium.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import type { Served } from './helpers/live-http.js';

// The web dashboard at /dashboard in headless Chromium (the Debian package, never a browser download),
// against a real server on a real port: one person's path through it from the one-time link to signing
// out, then another site's forms posting to the API with the session cookie. Screenshots of every page go
// to test-results/dashboard-*.png.

const hasChromium = chromiumOrWarn('test/dashboard.browser.test.ts', 'the dashboard');

const PASSWORD = 'violet harbour lantern 1987';
const NEW_PASSWORD = 'amber quarry whistle 2031';
const HOUR = 60 * 60_000;

describe.skipIf(!hasChromium)('the dashboard in headless Chromium', () => {
  let h: Harness;
  let server: Served;
  let seen: SeenRequest[];
  let browser: Browser;
  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHarness();
    ({ server, seen } = await serveDashboard(h));
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
  });

  const open = () => openProfile(browser, server.url);
  const cookieOf = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === COOKIE)?.value;
  const heading = waitForHeading;

  it('sets the password from a one-time link, signs in, steps up for peers, mints a key, ends a session, changes the password, signs out', async () => {
    const t = await h.tenant();
    const { context, page, problems } = await open();

    // The one-time link: the token in the fragment, dropped from the address bar once read.
    const { token } = await new PasswordStore(h.db.prisma).createLink(t.userId);
    await page.goto(`/dashboard/set-password#token=${token}`);
    await heading(page, 'Set your password');
    expect(page.url()).not.toContain(token);
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('Repeat the password').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    // The policy's 422 lands beside the field it is about, and the link stays usable.
    await page
      .locator('.field.invalid', { has: page.getByLabel('New password') })
      .locator('.error')
      .waitFor();
    await screenshot(page, 'set-password');
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await heading(page, 'Password set');

    // Sign in: a wrong password is refused on the page, the right one opens the overview.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await heading(page, 'Sign in to Alumia');
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password.').waitFor();
    await screenshot(page, 'sign-in');
    // The rest by keyboard alone: Tab from the email to the password field, Enter to submit.
    await page.getByLabel('Password').fill('');
    await page.getByLabel('Email').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await heading(page, 'Overview');
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    await screenshot(page, 'overview');
    expect(await cookieOf(context)).toBeTruthy();

    try {
      await agentsWithStepUp(page, context, t);
      await mintAndRevokeKeys(page, t);
      await revokeOtherSession(page, t);
    } catch (error) {
      await screenshot(page, 'failure'); // what the page showed when a step failed
      throw error;
    }

    // Sign out: back on the sign-in page, and the old cookie works no more.
    const before = (await cookieOf(context))!;
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await heading(page, 'Sign in to Alumia');
    expect(await cookieOf(context)).toBeUndefined();
    expect((await h.http.get('/api/v1/auth/session').set(cookieHeaders(before))).status).toBe(401);
    // No request of the page ever carried an API key.
    expect(seen.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  async function agentsWithStepUp(page: Page, context: BrowserContext, t: Tenant) {
    const peer = await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'Helper Bee' });
    expect(peer.status, JSON.stringify(peer.body)).toBe(201);
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await heading(page, 'Agents');
    await page.getByRole('link', { name: 'New agent' }).click();
    await heading(page, 'New agent');
    await page.getByLabel('Name').fill('Scout Owl');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('link', { name: 'Scout Owl' }).waitFor();
    await screenshot(page, 'agents');

    // The step-up window from the sign-in has passed, as if an hour had gone by.
    await ageSession(h, (await cookieOf(context))!, 'stepUpAt', HOUR);
    await page.getByRole('link', { name: 'Scout Owl' }).click();
    await heading(page, 'Edit Scout Owl');
    // An edit that leaves the restrictions alone sends none of them, so it needs no password.
    await page.getByLabel('Description').fill('Looks around first');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);

    await page.getByLabel('Allowed peers').fill(peer.body.data.slug);
    await page.getByRole('button', { name: 'Save changes' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm your password' });
    await dialog.waitFor();
    await dialog.getByLabel('Password').fill('a wrong guess, twelve+');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByText('That is not your password.').waitFor();
    await screenshot(page, 'step-up');
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Saved.').waitFor();
    await screenshot(page, 'agent');
    const saved = await h.http.get('/api/v1/agents/scout-owl').set(t.auth);
    expect(saved.body.data).toMatchObject({ description: 'Looks around first', allowedPeers: [peer.body.data.slug] });
  }

  async function mintAndRevokeKeys(page: Page, t: Tenant) {
    const old = await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'old-laptop' });
    expect(old.status).toBe(201);
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await heading(page, 'API keys');
    await page.getByLabel('Key name').fill('ci-runner');
    await page.getByRole('button', { name: 'Mint key' }).click();
    const shown = page.getByLabel('Key', { exact: true });
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^alm_(live|test)_/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    expect((await h.http.get('/api/v1/me').set({ Authorization: `Bearer ${key}` })).status).toBe(200);
    // Never kept by the page: not in storage, and gone once the page is left.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).not.toContain(key);
    await screenshot(page, 'api-keys');

    await page.getByRole('button', { name: 'Revoke old-laptop' }).click();
    await page.getByRole('button', { name: 'Yes, revoke old-laptop' }).click();
    await page
      .getByRole('row', { name: /old-laptop/ })
      .getByText(/revoked/)
      .waitFor();
    expect((await h.http.get('/api/v1/me').set({ Authorization: `Bearer ${old.body.data.key}` })).status).toBe(401);

    await page.reload();
    await heading(page, 'API keys');
    await page.getByRole('row', { name: /ci-runner/ }).waitFor();
    expect(await page.content()).not.toContain(key);
  }

  async function revokeOtherSession(page: Page, t: Tenant) {
    const other = await signIn(h.http, t.email, PASSWORD, { headers: { 'User-Agent': 'Second Browser/1.0' } });
    await page.getByRole('link', { name: 'Account security', exact: true }).click();
    await heading(page, 'Account security');
    const row = page.getByRole('row', { name: /Second Browser\/1\.0/ });
    await row.waitFor();
    await screenshot(page, 'account');
    await row.getByRole('button', { name: /Sign out the session/ }).click();
    await row.waitFor({ state: 'detached' });
    expect((await h.http.get('/api/v1/auth/session').set(cookieHeaders(other.token))).status).toBe(401);

    // Changing the password: a wrong current one is refused beside its field; then every other session ends.
    const third = await signIn(h.http, t.email, PASSWORD);
    await page.getByLabel('Current password').fill('not what I set, surely');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page
      .locator('.field.invalid', { has: page.getByLabel('Current password') })
      .locator('.error')
      .waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed; 1 other session signed out.').waitFor();
    expect((await h.http.get('/api/v1/auth/session').set(cookieHeaders(third.token))).status).toBe(401);
  }

  it("refuses another site's form POST with the cookie: 403 from the same site, no cookie (401) from another site", async () => {
    const t = await h.tenant();
    const password = 'quiet meadow compass 2044';
    await new PasswordStore(h.db.prisma).setPassword(t.userId, password);
    // Signed in through the page, so the cookie carries exactly the attributes the server gave it.
    const { context, page } = await open();
    await page.goto('/dashboard/sign-in');
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'Overview');
    const token = (await cookieOf(context))!;
    expect((await context.cookies()).find((c) => c.name === COOKIE)).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const keysBefore = (await h.http.get('/api/v1/api-keys').set(t.auth)).body.data.items.length;
    const evil = await formPage(`${server.url}/api/v1/api-keys`, { name: 'csrf-probe' });
    try {
      for (const [origin, status, site, cookieSent] of [
        [evil.url, 403, 'same-site', true],
        [evil.localhostUrl, 401, 'cross-site', false],
      ] as const) {
        seen.length = 0;
        await page.goto(`${origin}/`);
        const answer = page.waitForResponse((r) => r.url() === `${server.url}/api/v1/api-keys` && r.request().method() === 'POST');
        await page.getByRole('button', { name: 'Send' }).click();
        expect((await answer).status(), origin).toBe(status);
        const post = seen.find((r) => r.method === 'POST' && r.path === '/api/v1/api-keys');
        expect(post?.headers['sec-fetch-site'], origin).toBe(site);
        expect(post?.headers.cookie?.includes(`${COOKIE}=${token}`) ?? false, origin).toBe(cookieSent);
      }
    } finally {
      await evil.close();
    }
    await screenshot(page, 'cross-site-refused');
    // Nothing changed: no key was minted, and the session still works from the dashboard's own origin.
    expect((await h.http.get('/api/v1/api-keys').set(t.auth)).body.data.items.length).toBe(keysBefore);
    expect((await h.http.get('/api/v1/auth/session').set({ ...cookieHeaders(token), ...SAME_ORIGIN })).status).toBe(200);
    await context.close();
  }, 60_000);
});
