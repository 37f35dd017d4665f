import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../client/src/index.js';
import { givePassword, signIn } from './helpers/browser-session.js';
import { cliHome, type CliHome } from './helpers/cli-process.js';
import { expectSuccess } from './helpers/envelope.js';
import { API } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

// `alumia webhooks list | deliveries | retry` as a child process against the real server over real HTTP.
// The endpoints are made from a dashboard session (creating one is browser-only); the CLI reads them and
// their delivery logs, and retries, with an API key. A typed client with the same key checks what it shows.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

// A public address literal: the create check resolves nothing and connects nowhere.
const PUBLIC_URL = 'https://93.184.215.14/alumia';

let h: Harness;
let server: Served;
const homes: CliHome[] = [];
beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
});
afterAll(async () => {
  for (const home of homes) home.remove();
  await server?.close();
  await h?.close();
});

/** A new organization with one endpoint on `agent.*`, one agent.created delivery, and a CLI home logged in. */
async function fresh(): Promise<{ t: Tenant; hook: { id: string; secret: string }; cookie: Record<string, string>; cli: CliHome }> {
  const t = await h.tenant();
  const { headers: cookie } = await signIn(h.http, t.email, await givePassword(h, t));
  const hook = expectSuccess(
    await h.http
      .post(`${API}/webhooks`)
      .set(cookie)
      .send({ url: PUBLIC_URL, events: ['agent.*'], description: 'CLI hook' }),
    201,
  );
  expect((await h.http.post(`${API}/agents`).set(t.auth).send({ name: 'Cli Crane', model: 'alumia-local' })).status).toBe(201);
  const cli = cliHome();
  homes.push(cli);
  const login = await cli.run(['login', '--base-url', server.url, '--api-key', t.key]);
  expect(login.code, login.stderr).toBe(0);
  return { t, hook, cookie, cli };
}

describe.concurrent('alumia webhooks', () => {
  it('lists endpoints (a table, and --json as the API has them), never their secrets', async () => {
    const { t, hook, cli } = await fresh();
    const json = await cli.run(['webhooks', 'list', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    const api = createClient({ apiKey: t.key, baseUrl: server.url });
    expect(listed).toEqual(await api.webhooks.list().toArray());
    expect(listed).toMatchObject([{ id: hook.id, url: PUBLIC_URL, events: ['agent.*'], enabled: true }]);
    expect(json.stdout).not.toContain('whsec_');

    const human = await cli.run(['webhooks', 'list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/ID\s+URL\s+EVENTS\s+ENABLED\s+CREATED/);
    expect(human.stdout).toContain(hook.id);
    expect(human.stdout).toContain(PUBLIC_URL);
    expect(human.stdout).not.toContain(hook.secret);
  });

  it("shows an endpoint's deliveries, filters them by --status, and refuses an unknown status as a usage error", async () => {
    const { t, hook, cli } = await fresh();
    const api = createClient({ apiKey: t.key, baseUrl: server.url });
    const json = await cli.run(['webhooks', 'deliveries', hook.id, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const deliveries = JSON.parse(json.stdout) as Array<{ id: string; eventType: string; status: string }>;
    expect(deliveries).toEqual(await api.webhooks.deliveries(hook.id).toArray());
    expect(deliveries.map((d) => d.eventType)).toEqual(['agent.created']);

    const human = await cli.run(['webhooks', 'deliveries', hook.id]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/ID\s+EVENT\s+STATUS\s+ATTEMPTS/);
    expect(human.stdout).toContain(deliveries[0]!.id);

    const status = deliveries[0]!.status;
    const other = status === 'succeeded' ? 'failed' : 'succeeded';
    const same = await cli.run(['webhooks', 'deliveries', hook.id, '--status', status, '--json']);
    expect(JSON.parse(same.stdout)).toHaveLength(1);
    const none = await cli.run(['webhooks', 'deliveries', hook.id, '--status', other]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('No deliveries.');

    const bad = await cli.run(['webhooks', 'deliveries', hook.id, '--status', 'lost']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status.*lost/s);
  });

  it('retries a delivery (the same delivery id), and a disabled endpoint refuses with CONFLICT (exit 1)', async () => {
    const { hook, cookie, cli } = await fresh();
    const [delivery] = JSON.parse((await cli.run(['webhooks', 'deliveries', hook.id, '--json'])).stdout) as Array<{ id: string }>;
    const retried = await cli.run(['webhooks', 'retry', hook.id, delivery!.id]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`Queued another attempt of delivery ${delivery!.id} (agent.created)`);
    const asJson = await cli.run(['webhooks', 'retry', hook.id, delivery!.id, '--json']);
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ id: delivery!.id, webhookId: hook.id });

    expect((await h.http.patch(`${API}/webhooks/${hook.id}`).set(cookie).send({ enabled: false })).status).toBe(200);
    const refused = await cli.run(['webhooks', 'retry', hook.id, delivery!.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: CONFLICT: /);
  });

  it('gets no secret-bearing command: create, rotate and delete are not offered (browser-only)', async () => {
    const { cli } = await fresh();
    const help = await cli.run(['webhooks', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/list/);
    expect(help.stdout).toMatch(/deliveries/);
    expect(help.stdout).toMatch(/retry/);
    expect(help.stdout).not.toMatch(/^\s+(create|rotate|delete)\b/m);
  });
});
