import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrWarn, launchChromium } from './helpers/chromium.js';
import { ensureDashboardBuilt, openProfile, screenshot, waitForHeading } from './helpers/dashboard-browser.js';
import { until } from './helpers/faults.js';
import { emptyPostgres } from './helpers/postgres.js';
import { startServer, tempDir, type ServerProcess } from './helpers/processes.js';

// The Webhooks page and an agent's trigger URLs in headless Chromium, against a real server process (so
// its delivery engine runs) with WEBHOOK_ALLOW_PRIVATE=1 and a receiver of our own on 127.0.0.1. The
// receiver checks every delivery with the standardwebhooks package's own verify, using the secret the
// page showed. Step-up lasts 3 s (STEP_UP_MINUTES=0.05) so the first browser-only change asks for the
// password; later ones may or may not, and confirm when asked. Screenshots: test-results/dashboard-webhook*.png.

const hasChromium = chromiumOrWarn('test/dashboard.webhooks.browser.test.ts', 'the Webhooks page and trigger URLs');

const PASSWORD = 'copper meadow lantern 2052';
const LINK = /\/dashboard\/set-password#token=([A-Za-z0-9_-]{43})/;
const KEY = /alm_test_[0-9a-f]{48}/;
const STEP_UP_MS = 3_000;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A plain node:http receiver: answers 200 to every POST and keeps what came. Shares no code with the sender. */
async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Whether the standardwebhooks package accepts the delivery under `secret`. */
function verifies(secret: string, r: Received): boolean {
  try {
    new StandardWebhook(secret).verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasChromium)('webhooks and trigger URLs in headless Chromium', () => {
  let server: ServerProcess;
  let browser: Browser;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let apiKey: string;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    await ensureDashboardBuilt();
    receiver = await startReceiver();
    const dir = tempDir('dashboard-webhooks');
    cleanups.push(dir.remove);
    const env: Record<string, string> = {
      DATA_DIR: dir.path,
      WEBHOOK_ALLOW_PRIVATE: '1',
      RETRY_SCHEDULE_SCALE: '0.001',
      STEP_UP_MINUTES: String(STEP_UP_MS / 60_000),
      DISABLE_RATE_LIMIT: '1',
    };
    // On a PostgreSQL run the server gets an empty database of its own, which it migrates and bootstraps.
    if (process.env.DATABASE_URL) {
      const pg = await emptyPostgres('dashboard_webhooks');
      if (pg.reason !== undefined) throw new Error(pg.reason);
      cleanups.push(pg.drop);
      env.DATABASE_URL = pg.url;
    }
    server = await startServer(env);
    cleanups.unshift(() => server.stop('SIGTERM').then(() => undefined));
    await server.waitForOutput((out) => LINK.test(out), 30_000);
    apiKey = KEY.exec(server.stdout())![0];
    const token = LINK.exec(server.stdout())![1];
    const set = await fetch(server.url('/api/v1/auth/password/set'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, password: PASSWORD }),
    });
    expect(set.status, await set.text()).toBe(200);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    for (const c of cleanups) await c();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url(`/api/v1${path}`), {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data: any } };
  };

  async function signedIn() {
    const opened = await openProfile(browser, server.url(''));
    await opened.page.goto('/dashboard/sign-in');
    await opened.page.getByLabel('Email').fill('owner@localhost');
    await opened.page.getByLabel('Password').fill(PASSWORD);
    await opened.page.getByRole('button', { name: 'Sign in' }).click();
    await waitForHeading(opened.page, 'Overview');
    return { ...opened, signedInAt: Date.now() };
  }

  /**
   * Clicks `button` and waits for `outcome`; when the step-up dialog comes first, confirms the password
   * (the page then retries the call). Resolves whether it was asked.
   */
  async function withStepUp(page: Page, button: Locator, outcome: Locator): Promise<boolean> {
    await button.click();
    const dialog = page.getByRole('dialog', { name: 'Confirm your password' });
    await dialog.or(outcome).first().waitFor();
    const asked = await dialog.isVisible();
    if (asked) {
      // By its label: the dialog's field must be the one its label names, not a field of the page behind it.
      await dialog.getByLabel('Password').fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.waitFor({ state: 'detached' });
    }
    await outcome.first().waitFor();
    return asked;
  }

  /** Clicks Refresh until the log shows a row matching `row` (the engine works on its own schedule). */
  async function refreshUntil(page: Page, row: Locator) {
    await until(30_000, async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByText(/Loading deliveries/).waitFor({ state: 'detached' });
      return (await row.count()) > 0;
    });
  }

  it('creates an endpoint behind step-up, shows its secret once, disables, enables, rotates, logs and retries a delivery, deletes it', async () => {
    const { context, page, problems, signedInAt } = await signedIn();
    try {
      await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
      await waitForHeading(page, 'Webhooks');
      await page.getByText('No webhook endpoints yet.').waitFor();
      await screenshot(page, 'webhooks-empty');

      // The sign-in's step-up has lapsed by now: the first browser-only change asks for the password.
      await new Promise((r) => setTimeout(r, Math.max(0, signedInAt + STEP_UP_MS + 200 - Date.now())));
      let asked = false;
      // Refused beside its field, from the envelope's details.
      await page.getByLabel('Endpoint URL').fill('not a url');
      const urlError = page.locator('.field.invalid', { has: page.getByLabel('Endpoint URL') }).locator('.error');
      asked = (await withStepUp(page, page.getByRole('button', { name: 'Create endpoint' }), urlError)) || asked;
      await page.getByLabel('Endpoint URL').fill(receiver.url);
      await page.getByLabel('Events').fill('agent.*');
      await page.getByLabel('Description (optional)').fill('Ticket sync');
      const secretBox = page.getByLabel('Signing secret', { exact: true });
      asked = (await withStepUp(page, page.getByRole('button', { name: 'Create endpoint' }), secretBox)) || asked;
      expect(asked).toBe(true);
      const secret = await secretBox.inputValue();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      await page.getByRole('button', { name: 'Copy signing secret' }).click();
      await page.getByText('Copied.').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      await screenshot(page, 'webhooks-secret');

      // Shown once: after a reload the endpoint is listed and its secret is nowhere on the page.
      await page.reload();
      const link = page.getByRole('link', { name: receiver.url });
      await link.waitFor();
      expect(await page.content()).not.toContain(secret);
      expect(await page.content()).not.toContain('whsec_');
      await screenshot(page, 'webhooks');

      await link.click();
      await waitForHeading(page, `Webhook ${receiver.url}`);
      const state = page.getByTestId('webhook-state');
      await page.getByText(/No deliveries yet/).waitFor();
      await withStepUp(page, page.getByRole('button', { name: 'Disable endpoint' }), page.getByRole('button', { name: 'Enable endpoint' }));
      expect(await state.textContent()).toMatch(/^disabled/);
      await withStepUp(page, page.getByRole('button', { name: 'Enable endpoint' }), page.getByRole('button', { name: 'Disable endpoint' }));
      expect(await state.textContent()).toBe('enabled');

      await withStepUp(page, page.getByRole('button', { name: 'Rotate secret' }), secretBox);
      const rotated = await secretBox.inputValue();
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(secret);
      await page.getByRole('button', { name: 'Done' }).click();
      await secretBox.waitFor({ state: 'detached' });

      // An agent created with the API key: its agent.created activity becomes a delivery in the log.
      const agent = await api('POST', '/agents', { name: 'Hook Heron', model: 'alumia-local' });
      expect(agent.status, JSON.stringify(agent.body)).toBe(201);
      await refreshUntil(page, page.getByTestId('delivery').filter({ hasText: 'agent.created' }));
      const row = page.getByTestId('delivery').filter({ hasText: 'agent.created' });
      expect(await row.count()).toBe(1);
      // The engine delivers it: the receiver verifies it with the new secret and with the old one (24 h of
      // dual signing), and the log shows it succeeded.
      await until(30_000, () => Promise.resolve(receiver.received.length > 0));
      const first = receiver.received[0]!;
      expect(verifies(rotated, first)).toBe(true);
      expect(verifies(secret, first)).toBe(true);
      expect(JSON.parse(first.body)).toMatchObject({ type: 'agent.created', data: expect.anything() });
      await refreshUntil(page, row.filter({ hasText: 'succeeded' }));
      await row.getByText(/Attempts of/).click();
      await row.getByText(/HTTP 200 in \d+ ms/).waitFor();
      await screenshot(page, 'webhook-deliveries');

      // Retried from the log: the receiver gets it again with the same webhook-id.
      await row.getByRole('button', { name: /^Retry delivery/ }).click();
      await until(30_000, () => Promise.resolve(receiver.received.length > 1));
      expect(receiver.received[1]!.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(verifies(rotated, receiver.received[1]!)).toBe(true);

      await page.getByRole('button', { name: 'Delete endpoint' }).click();
      await withStepUp(
        page,
        page.getByRole('button', { name: `Yes, delete ${receiver.url}` }),
        page.getByRole('heading', { level: 1, name: 'Webhooks' }),
      );
      await page.getByText('No webhook endpoints yet.').waitFor();
      expect((await api('GET', '/webhooks')).body.data.items).toEqual([]);
    } catch (error) {
      await screenshot(page, 'failure-webhooks');
      // What the API itself says, to tell a page fault from an engine fault.
      for (const w of (await api('GET', '/webhooks')).body.data.items as Array<{ id: string }>)
        console.error('deliveries of', w.id, JSON.stringify((await api('GET', `/webhooks/${w.id}/deliveries`)).body));
      console.error(
        `the receiver got ${receiver.received.length} requests; the server's warnings and errors:`,
        server
          .stdout()
          .split('\n')
          .filter((l) => /"level":[45]0/.test(l))
          .join('\n'),
      );
      throw error;
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it("creates a trigger URL on an agent's page, shows its URL and token once, and revokes it", async () => {
    const agent = await api('POST', '/agents', { name: 'Trigger Tern', model: 'alumia-local' });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const { context, page, problems } = await signedIn();
    try {
      await page.goto(`/dashboard/agents/${agent.body.data.slug}`);
      await waitForHeading(page, 'Edit Trigger Tern');
      await page.getByText('No trigger URLs yet.').waitFor();
      await page.getByLabel('Trigger label (optional)').fill('Support inbox');
      const urlBox = page.getByLabel('Trigger URL', { exact: true });
      await withStepUp(page, page.getByRole('button', { name: 'Create trigger URL' }), urlBox);
      const url = await urlBox.inputValue();
      const token = (await page.getByTestId('trigger-token').textContent())!;
      expect(url.endsWith(`/api/v1/triggers/${token}`)).toBe(true);
      await page.getByTestId('trigger').filter({ hasText: 'Support inbox' }).waitFor();
      await screenshot(page, 'agent-trigger');

      // The URL starts the agent: 202 with the session and the message.
      const posted = await fetch(server.url(`/api/v1/triggers/${token}`), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'A customer wrote in' }),
      });
      expect(posted.status, await posted.clone().text()).toBe(202);

      await page.reload();
      await page.getByTestId('trigger').filter({ hasText: 'Support inbox' }).waitFor();
      expect(await page.content()).not.toContain(token);

      await page.getByRole('button', { name: 'Revoke' }).click();
      await withStepUp(page, page.getByRole('button', { name: 'Yes, revoke Support inbox' }), page.getByText('No trigger URLs yet.'));
      const after = await fetch(server.url(`/api/v1/triggers/${token}`), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(after.status).toBe(404);
      expect((await api('GET', `/agents/${agent.body.data.id}/triggers`)).body.data.items).toEqual([]);
    } catch (error) {
      await screenshot(page, 'failure-trigger');
      throw error;
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
