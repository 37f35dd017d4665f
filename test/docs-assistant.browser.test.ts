import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocsAnswer } from '../generated/sdk/types.gen.js';
import { fromRoot } from '../server/paths.js';
import { expectSuccess } from './helpers/envelope.js';
import { API } from './helpers/fixtures.js';
import { chromiumOrWarn, launchChromium } from './helpers/chromium.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

// The docs assistant's citations followed in headless Chromium (the Debian `chromium` package): one into
// the Redoc reference, one into the guide; each must land on an element that exists and is in view.
// Screenshots are kept in test-results/.

const hasChromium = chromiumOrWarn('test/docs-assistant.browser.test.ts', 'following citations');

describe.skipIf(!hasChromium)('docs assistant citations in headless Chromium', () => {
  let h: Harness;
  let server: Served;
  let browser: Browser;
  beforeAll(async () => {
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

  const citationFor = async (question: string, prefix: string) => {
    const answer = expectSuccess<DocsAnswer>(await h.http.post(`${API}/docs/ask`).send({ question }));
    const citation = answer.citations.find((c) => c.url.startsWith(prefix));
    expect(citation, `a ${prefix} citation for "${question}"`).toBeDefined();
    return citation!;
  };

  /** Whether the element with this id exists and its top is inside the viewport. */
  const inView = (page: Page, id: string) =>
    page.evaluate((target) => {
      const el = document.getElementById(target);
      if (!el) return { exists: false, top: NaN };
      const top = el.getBoundingClientRect().top;
      return { exists: true, top, visible: top >= -2 && top < window.innerHeight };
    }, id);

  it('opens an operation citation in the reference, scrolled to the operation', async () => {
    const citation = await citationFor('how do I delete an agent', '/docs#operation/');
    expect(citation.url).toBe('/docs#operation/deleteAgent');
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    expect((await page.goto(`${server.url}${citation.url}`, { waitUntil: 'domcontentloaded' }))?.status()).toBe(200);
    // Redoc 3 rewrites the legacy `#operation/<id>` anchor to its own (`#/agents/deleteagent`) and scrolls there.
    await page.waitForFunction(() => location.hash.startsWith('#/') && window.scrollY > 0, undefined, { timeout: 30_000 });
    const id = decodeURIComponent(new URL(page.url()).hash.slice(2));
    expect(id.toLowerCase()).toContain('deleteagent');
    await page.waitForFunction((target) => document.getElementById(target) !== null, id);
    await page.waitForTimeout(500); // Redoc settles its scroll after rendering the operation
    const seen = await inView(page, id);
    expect(seen.exists).toBe(true);
    expect(seen.visible, `#${id} in view (top ${seen.top})`).toBe(true);
    expect(await page.locator(`[id="${id}"]`).getByRole('heading', { name: 'Delete an agent' }).count()).toBeGreaterThan(0);
    mkdirSync(fromRoot('test-results'), { recursive: true });
    await page.screenshot({ path: fromRoot('test-results', 'docs-assistant-operation.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens a guide citation, scrolled to its heading, under the /docs policy', async () => {
    const citation = await citationFor('how do I run several servers behind a load balancer', '/docs/guide#');
    const id = citation.url.split('#')[1]!;
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const res = await page.goto(`${server.url}${citation.url}`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain('default-src');
    const seen = await inView(page, id);
    expect(seen.exists).toBe(true);
    expect(seen.visible, `#${id} in view (top ${seen.top})`).toBe(true);
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
    // The inline stylesheet applied: the policy allowed it.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('main')!).maxWidth)).not.toBe('none');
    expect(violations).toEqual([]);
    mkdirSync(fromRoot('test-results'), { recursive: true });
    await page.screenshot({ path: fromRoot('test-results', 'docs-assistant-guide.png') });
    await page.close();
  });
});
