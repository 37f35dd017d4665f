import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageSession, COOKIE, givePassword } from './helpers/browser-session.js';
import { ALUMIA_BIN, cliHome } from './helpers/cli-process.js';
import { chromiumOrWarn, launchChromium } from './helpers/chromium.js';
import { ensureDashboardBuilt, openProfile, screenshot, serveDashboard, waitForHeading } from './helpers/dashboard-browser.js';
import { expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness } from './helpers/harness.js';
import type { Served } from './helpers/live-http.js';

// `alumia login --web` end to end: the real CLI process against a live server, its link opened in
// headless Chromium, sign-in, step-up, approval; the CLI then exits 0 with a working key stored.

const hasChromium = chromiumOrWarn('test/dashboard.device.browser.test.ts', 'the device login page');
const MINUTE = 60_000;

describe.skipIf(!hasChromium)('device login in headless Chromium', () => {
  let h: Harness;
  let server: Served;
  let browser: Browser;
  beforeAll(async () => {
    await ensureDashboardBuilt();
    h = await startHarness();
    ({ server } = await serveDashboard(h));
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
  });

  it('opens the printed link, signs in and comes back, steps up, approves; the CLI stores a working key', async () => {
    const t = await h.tenant();
    const password = await givePassword(h, t);
    const home = cliHome();
    const child = spawn(process.execPath, [ALUMIA_BIN, 'login', '--web', '--base-url', server.url], {
      env: { PATH: process.env.PATH ?? '', HOME: home.path, XDG_CONFIG_HOME: home.path, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const link = await new Promise<{ uri: string; code: string }>((resolve) =>
      child.stderr.on('data', (c) => {
        stderr += c;
        const m = /Open (\S+)\nand confirm the code ([A-Z]{4}-[A-Z]{4})/.exec(stderr);
        if (m) resolve({ uri: m[1]!, code: m[2]! });
      }),
    );
    try {
      const { context, page, problems } = await openProfile(browser, server.url);
      await page.goto(link.uri);
      // Signed out: the sign-in page, then back to the device page with the code.
      await waitForHeading(page, 'Sign in to Alumia');
      await page.getByLabel('Email').fill(t.email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await waitForHeading(page, 'Device login');
      await expect.poll(() => page.getByTestId('device-code').textContent()).toBe(link.code);
      expect(await page.getByText(/alumia CLI on /).count()).toBeGreaterThan(0);
      // Outside the step-up window: approving asks for the password first.
      const cookie = (await context.cookies()).find((c) => c.name === COOKIE)!.value;
      await ageSession(h, cookie, 'stepUpAt', 11 * MINUTE);
      await screenshot(page, 'device');
      await page.getByRole('button', { name: 'Approve' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Password').fill(password);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText('Approved: you can go back to your terminal.').waitFor();
      expect(await exited, stderr).toBe(0);
      expect(stdout).toContain(`Logged in to ${server.url} as ${t.email}`);
      const stored = JSON.parse(readFileSync(home.credentials, 'utf8')) as { apiKey: string };
      const me = expectSuccess(await h.http.get('/api/v1/me').set({ Authorization: `Bearer ${stored.apiKey}` }));
      expect(me.user.id).toBe(t.userId);
      expect(problems).toEqual([]);
      await context.close();
    } finally {
      child.kill();
      home.remove();
    }
  }, 120_000);
});
