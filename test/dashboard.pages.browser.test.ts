import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordStore } from '../server/data/passwords.js';
import { ageSession, COOKIE } from './helpers/browser-session.js';
import {
  ensureDashboardBuilt,
  openProfile,
  screenshot,
  serveDashboard,
  waitForHeading,
  type SeenRequest,
} from './helpers/dashboard-browser.js';
import { chromiumOrWarn, launchChromium } from './helpers/chromium.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import type { Served } from './helpers/live-http.js';

// The dashboard's pages beyond sign-in and keys (test/dashboard.browser.test.ts has those), in headless
// Chromium against a real server: a session's chat streaming its answer, a workspace created behind
// step-up, an organization setting, an invite accepted in another browser, and a project shared by link
// and opened with no cookie. Screenshots go to test-results/dashboard-*.png.

const hasChromium = chromiumOrWarn('test/dashboard.pages.browser.test.ts', 'the dashboard pages');

const PASSWORD = 'copper meadow lantern 2052';
const HOUR = 60 * 60_000;

describe.skipIf(!hasChromium)('the dashboard pages in headless Chromium', () => {
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

  const cookieOf = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === COOKIE)?.value;

  async function signedIn(t: Tenant) {
    await new PasswordStore(h.db.prisma).setPassword(t.userId, PASSWORD);
    const opened = await openProfile(browser, server.url);
    await opened.page.goto('/dashboard/sign-in');
    await opened.page.getByLabel('Email').fill(t.email);
    await opened.page.getByLabel('Password').fill(PASSWORD);
    await opened.page.getByRole('button', { name: 'Sign in' }).click();
    await waitForHeading(opened.page, 'Overview');
    return opened;
  }

  it('chats in a session and watches the answer stream in, adds and removes a participant; an empty message is refused beside its field', async () => {
    const t = await h.tenant();
    const agent = await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'Echo Wren', model: 'alumia-local' });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const { context, page, problems } = await signedIn(t);
    try {
      await page.getByRole('link', { name: 'Sessions', exact: true }).click();
      await waitForHeading(page, 'Sessions');
      await page.getByText('No sessions yet.').waitFor();
      await page.getByLabel('Title (optional)').fill('Morning check-in');
      await page.getByRole('button', { name: 'Start session' }).click();
      await waitForHeading(page, 'Morning check-in');
      await page.getByText('No messages yet.').waitFor();

      await page.getByRole('button', { name: 'Send' }).click();
      await page
        .locator('.field.invalid', { has: page.getByLabel('Your message') })
        .locator('.error')
        .waitFor();

      // Every text the answer box shows while the stream runs, as the page renders it.
      await page.evaluate(() => {
        const shown: string[] = [];
        (window as unknown as { shown: string[] }).shown = shown;
        new MutationObserver(() => {
          const t = document.querySelector('[data-testid="streaming-answer"]')?.textContent;
          if (t && t !== '…' && shown.at(-1) !== t) shown.push(t);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await page.getByLabel('Your message').fill('What is on the list today?');
      await page.getByRole('button', { name: 'Send' }).click();
      const reply = page.locator('.message.agent', { hasText: 'This is alumia-local' }).filter({ hasText: 'What is on the list today?' });
      await reply.waitFor();
      await page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'detached' });
      const final = (await reply.locator('p').textContent())!;
      const shown = await page.evaluate(() => (window as unknown as { shown: string[] }).shown);
      // Streamed, not answered at once: the box showed growing prefixes of the stored reply before it.
      expect(shown.length, JSON.stringify(shown)).toBeGreaterThan(1);
      for (const s of shown) expect(final.startsWith(s), s).toBe(true);
      expect(shown[0]!.length).toBeLessThan(final.length);
      const chat = seen.find((r) => r.method === 'POST' && /\/sessions\/[^/]+\/chat$/.test(r.path));
      expect(chat?.headers.accept).toContain('text/event-stream');
      await screenshot(page, 'session');

      // The stored messages, from the API: the question and the complete reply.
      const sessions = (await h.http.get('/api/v1/sessions').set(t.auth)).body.data.items;
      const messages = (await h.http.get(`/api/v1/sessions/${sessions[0].id}/messages`).set(t.auth)).body.data.items;
      expect(messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['agent', 'complete'],
      ]);
      expect(messages[1].content).toBe(final);

      // A second participant, then taken out again: the session's agents follow.
      const other = await h.http.post('/api/v1/agents').set(t.auth).send({ name: 'Second Finch', model: 'alumia-local' });
      expect(other.status).toBe(201);
      await page.reload();
      await page.getByLabel('Add an agent').selectOption({ label: 'Second Finch' });
      await page.getByRole('button', { name: 'Add to the session' }).click();
      await page.getByRole('button', { name: 'Remove Second Finch' }).waitFor();
      await page.getByLabel('Answering agent').waitFor();
      const agentIds = async () => (await h.http.get(`/api/v1/sessions/${sessions[0].id}`).set(t.auth)).body.data.agentIds;
      expect(await agentIds()).toEqual([agent.body.data.id, other.body.data.id]);
      await page.getByRole('button', { name: 'Remove Second Finch' }).click();
      await page.getByRole('button', { name: 'Remove Second Finch' }).waitFor({ state: 'detached' });
      expect(await agentIds()).toEqual([agent.body.data.id]);

      await page.getByRole('link', { name: 'All sessions' }).click();
      await page.getByRole('link', { name: 'Morning check-in' }).waitFor();
      await screenshot(page, 'sessions');
    } catch (error) {
      await screenshot(page, 'failure-session');
      throw error;
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('creates a workspace after a step-up, changes an org setting, invites a member who joins, shares a project', async () => {
    const t = await h.tenant();
    const { context, page, problems } = await signedIn(t);
    try {
      // The step-up window of the sign-in has passed: creating a workspace asks for the password.
      await ageSession(h, (await cookieOf(context))!, 'stepUpAt', HOUR);
      await page.getByRole('link', { name: 'Workspaces', exact: true }).click();
      await waitForHeading(page, 'Workspaces');
      await page.getByLabel('Workspace name').fill('Field Research');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      const dialog = page.getByRole('dialog', { name: 'Confirm your password' });
      await dialog.waitFor();
      await dialog.getByLabel('Password').fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('heading', { level: 3, name: /Field Research/ }).waitFor();
      await screenshot(page, 'workspaces');
      const workspaces = (await h.http.get('/api/v1/workspaces').set(t.auth)).body.data;
      const names = (Array.isArray(workspaces) ? workspaces : workspaces.items).map((w: { name: string }) => w.name);
      expect(names).toContain('Field Research');

      // An org setting: the name, saved behind the (now open) step-up window.
      await page.getByRole('link', { name: 'Organization', exact: true }).click();
      await waitForHeading(page, 'Organization settings');
      await page.getByLabel('Organization name').fill('Harbour Lab');
      await page.getByLabel('Default model for new agents').selectOption('alumia-local');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').getByText('Saved.').waitFor();
      await screenshot(page, 'org');
      expect((await h.http.get('/api/v1/org').set(t.auth)).body.data).toMatchObject({ name: 'Harbour Lab', defaultModel: 'alumia-local' });

      // An invite: the link is shown once, and a fresh browser accepts it.
      await page.getByRole('link', { name: 'Members', exact: true }).click();
      await waitForHeading(page, 'Members');
      await page.getByRole('cell', { name: t.email, exact: true }).waitFor();
      await page.getByLabel('Email to invite').fill('grace@example.com');
      await page.getByRole('button', { name: 'Send invite' }).click();
      const shown = page.getByRole('textbox', { name: 'Invite link', exact: true });
      await shown.waitFor();
      const url = await shown.inputValue();
      expect(url).toContain('/dashboard/invite#token=');
      await page.getByRole('button', { name: 'Copy invite link' }).click();
      await page.getByText('Copied.').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
      await page.getByRole('cell', { name: 'grace@example.com', exact: true }).waitFor();
      await screenshot(page, 'members');
      const invitee = await openProfile(browser, server.url);
      await invitee.page.goto(url.replace(/^https?:\/\/[^/]+/, ''));
      await waitForHeading(invitee.page, 'Join the organization');
      expect(invitee.page.url()).not.toContain('token=');
      await invitee.page.getByLabel('Your name').fill('Grace Hopper');
      await invitee.page.getByLabel('Password').fill('grace harbour compiler 1952');
      await invitee.page.getByRole('button', { name: 'Accept the invite' }).click();
      await waitForHeading(invitee.page, 'Invite accepted');
      await screenshot(invitee.page, 'invite');
      expect(invitee.problems).toEqual([]);
      await invitee.context.close();
      const members = (await h.http.get('/api/v1/org/members').set(t.auth)).body.data.items;
      expect(members.map((m: { email: string }) => m.email)).toContain('grace@example.com');

      // A project shared by link, opened in a browser with no cookie.
      await page.getByRole('link', { name: 'Projects', exact: true }).click();
      await waitForHeading(page, 'Projects');
      await page.getByText('No projects yet.').waitFor();
      await screenshot(page, 'projects');
      await page.getByLabel('Project name').fill('Tide Tables');
      await page.getByRole('button', { name: 'Create project' }).click();
      await waitForHeading(page, 'Tide Tables');
      await page.getByText('No share links.').waitFor();
      await page.getByRole('button', { name: 'Create share link' }).click();
      const link = page.getByRole('textbox', { name: 'Share link', exact: true });
      await link.waitFor();
      const shareUrl = await link.inputValue();
      expect(shareUrl).toMatch(/\/share\//);
      await screenshot(page, 'project');
      const stranger = await openProfile(browser, server.url);
      const answer = await stranger.page.goto(new URL(shareUrl).pathname);
      expect(answer?.status()).toBe(200);
      await stranger.page.getByText('Tide Tables').first().waitFor();
      expect(await stranger.context.cookies()).toEqual([]);
      await screenshot(stranger.page, 'share');

      // Revoked in the dashboard, the link opens nothing any more.
      await page.getByRole('button', { name: /^Revoke the link of/ }).click();
      await page.getByRole('button', { name: 'Yes, revoke this link' }).click();
      await page.getByRole('cell', { name: /^revoked/ }).waitFor();
      const gone = await stranger.page.goto(new URL(shareUrl).pathname);
      expect(gone?.status()).toBeGreaterThanOrEqual(400);
      expect(await stranger.page.content()).not.toContain('Tide Tables');
      await stranger.context.close();
    } catch (error) {
      await screenshot(page, 'failure-pages');
      throw error;
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
