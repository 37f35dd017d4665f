import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import { promisify } from 'node:util';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { fromRoot } from '../../server/paths.js';
import type { Harness } from './harness.js';
import { listen, type Served } from './live-http.js';

/** The dashboard in a real browser: its build, the server around it, a second origin, screenshots. */

const BUILT = fromRoot('dist', 'dashboard', 'index.html');
const LOCK = fromRoot('dist', '.dashboard-build.lock');

/**
 * `npm test` builds the dashboard first; a direct vitest run may not have. Test files run in parallel
 * processes, so one builds (holding a lock directory) and the others wait for its index.html.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(BUILT)) return;
  mkdirSync(fromRoot('dist'), { recursive: true });
  // A lock left by a killed run is stale after two minutes.
  if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
  try {
    mkdirSync(LOCK);
  } catch {
    for (let waited = 0; !existsSync(BUILT) && waited < 120_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
    return;
  }
  try {
    await promisify(execFile)('npm', ['run', '--silent', 'dashboard'], { cwd: fromRoot() });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/**
 * The harness's app (which serves the dashboard) on a real port, with a log of the requests it received
 * (to tell what the browser sent, cookie included).
 */
export async function serveDashboard(h: Harness): Promise<{ server: Served; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const outer = express();
  outer.use((req, _res, next) => {
    seen.push({ method: req.method, path: req.path, headers: req.headers });
    next();
  });
  outer.use(h.app);
  return { server: await listen(outer as RequestListener), seen };
}

/**
 * Another site's page with a plain HTML form that posts `fields` to `action`: no script, so a browser
 * sends exactly what any page of any site could make it send. The same server answers on 127.0.0.1 and
 * on localhost: another port of 127.0.0.1 is the same *site* as the API (Sec-Fetch-Site: same-site),
 * localhost another site altogether.
 */
export async function formPage(action: string, fields: Record<string, string>): Promise<Served & { localhostUrl: string }> {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input name="${k}" value="${v}">`)
    .join('');
  const html = `<!doctype html><title>Another site</title><form method="POST" action="${action}">${inputs}<button>Send</button></form>`;
  const served = await listen((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(html));
  return { ...served, localhostUrl: `http://localhost:${served.port}` };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(fromRoot('test-results'), { recursive: true });
  await page.screenshot({ path: fromRoot('test-results', `dashboard-${name}.png`), fullPage: true });
}

/** A fresh browser profile on `baseURL` whose page reports script errors and CSP violations in `problems`. */
export async function openProfile(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  return { context, page, problems };
}

export const waitForHeading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name }).waitFor();
