import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../server/paths.js';
import { chromiumOrWarn, launchChromium } from './helpers/chromium.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

// The rendered reference at /docs, in headless Chromium (the Debian `chromium` package, never a browser
// download). The screenshot is kept as a test artifact in test-results/docs.png.

const hasChromium = chromiumOrWarn('test/docs.browser.test.ts', '/docs');

const SCREENSHOT = fromRoot('test-results', 'docs.png');

describe.skipIf(!hasChromium)('the reference docs at /docs in headless Chromium', () => {
  let h: Harness;
  let server: Served;
  let browser: Browser;
  beforeAll(async () => {
    // `npm test` builds the docs first; a direct vitest run may not have.
    if (!existsSync(fromRoot('dist', 'docs', 'index.html'))) {
      await promisify(execFile)('npm', ['run', '--silent', 'docs'], { cwd: fromRoot() });
    }
    h = await startHarness();
    server = await listen(h.app);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
  });

  it("lists the Agents operations and renders an operation's request and response examples", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const answer = await page.goto(`${server.url}/docs`, { waitUntil: 'domcontentloaded' });
    expect(answer?.status()).toBe(200);

    // The side menu has the Getting started section and lists every Agents operation by its summary.
    const menu = page.locator('.menu-content');
    await menu.getByText('Getting started', { exact: true }).waitFor({ timeout: 30_000 });
    await menu.getByText('Agents', { exact: true }).click({ timeout: 30_000 });
    for (const summary of [
      'List agents',
      'Create an agent',
      'Get an agent',
      'Update an agent',
      'Delete an agent',
      "List an agent's sessions",
      'Recent peer messages',
      "List an agent's peers",
    ]) {
      const item = menu.getByText(summary, { exact: true });
      await item.waitFor();
      expect(await item.count(), summary).toBe(1);
    }

    // Open "Create an agent": its request example and its 201 response example render.
    await menu.getByText('Create an agent', { exact: true }).click();
    // Redoc 3 ids operations `agents/createagent`; Redoc 2 used `tag/Agents/operation/createAgent`.
    const operation = page.locator('[id="agents/createagent"], [id="tag/Agents/operation/createAgent"]').first();
    await operation.getByRole('heading', { name: 'Create an agent' }).waitFor();
    const request = operation.locator('.panel-request-samples');
    const response = operation.locator('.panel-response-samples');
    await request.getByText('"You help with literature reviews."').waitFor();
    await response.getByText('"research-assistant"').first().waitFor();
    expect(await response.getByText('201', { exact: true }).count()).toBeGreaterThan(0);
    expect(await response.getByText('"Research Assistant"').count()).toBeGreaterThan(0);

    mkdirSync(fromRoot('test-results'), { recursive: true });
    await operation.scrollIntoViewIfNeeded();
    await response.scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
