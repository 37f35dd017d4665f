import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type AlumiaClient, type ChatResult, type CreditAmount, type UsageReport } from '../client/src/index.js';
import { CreditStore } from '../server/data/credits.js';
import { cliHome, type CliHome } from './helpers/cli-process.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

// `alumia chat` and `alumia billing` as a child process against the real server over real HTTP. Agents on
// `alumia-local` need nothing else; those on `gpt-4.1-mini` talk to a fake OpenAI-compatible upstream that
// paces its chunks and records when the server's request to it was cut off.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SESSION_LINE = new RegExp(`^session: (${UUID})$`, 'm');
const PAID = 'gpt-4.1-mini';

let h: Harness;
let server: Served;
let up: Upstream;
const homes: CliHome[] = [];
beforeAll(async () => {
  up = await startUpstream();
  h = await startHarness({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: up.baseURL });
  server = await listen(h.app);
});
afterAll(async () => {
  for (const home of homes) home.remove();
  await server?.close();
  await h?.close();
  await up?.close();
});
afterEach(() => up.reset());

/** A new organization with an agent on `model`, its API client, and a CLI home logged in to it. */
async function fresh(model = 'alumia-local'): Promise<{ t: Tenant; api: AlumiaClient; agent: string; cli: CliHome }> {
  const t = await h.tenant();
  const api = createClient({ apiKey: t.key, baseUrl: server.url });
  const agent = (await api.agents.create({ name: uniq('Helper'), model })).slug;
  const cli = cliHome();
  homes.push(cli);
  const login = await cli.run(['login', '--base-url', server.url, '--api-key', t.key]);
  expect(login.code, login.stderr).toBe(0);
  return { t, api, agent, cli };
}

const sessionOf = (stderr: string) => SESSION_LINE.exec(stderr)?.[1];
const contents = async (api: AlumiaClient, session: string) =>
  (await api.sessions.messages(session).toArray()).map((m) => `${m.role}: ${m.content}`);
const LOCAL = 'This is alumia-local, a stand-in that runs inside the server, not a language model. The last turn it was sent reads: ';

// The CLI processes of these tests share nothing (each has its own organization and home): they run together.
describe.concurrent('alumia chat', () => {
  it('streams the reply to stdout, names the session on stderr, and a second call continues that session', async () => {
    const { api, agent, cli } = await fresh();
    const first = await cli.run(['chat', agent, 'hello', 'there']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^${LOCAL.replace('.', '\\.')}.*hello there\\n$`));
    const session = sessionOf(first.stderr);
    expect(session).toBeDefined();
    expect(first.stderr).toBe(`session: ${session}\n`);

    const second = await cli.run(['chat', agent, 'and again']);
    expect(second.code, second.stderr).toBe(0);
    expect(sessionOf(second.stderr)).toBe(session);
    expect(second.stdout).toMatch(/and again\n$/);
    const messages = await api.sessions.messages(session!).toArray();
    expect(messages.map((m) => m.role)).toEqual(['user', 'agent', 'user', 'agent']);
    expect(messages[3]!.content).toBe(second.stdout.slice(0, -1));
    expect(await api.sessions.get(session!)).toMatchObject({ title: 'hello there', metadata: { relationship: 'direct' } });
  });

  it('continues the most recent session whose only agent is the one named, not a more recent group session', async () => {
    const { api, agent, cli } = await fresh();
    const direct = await api.sessions.create({ agentIds: [agent] });
    await api.sessions.create({ agentIds: [agent, 'ala'] });
    const r = await cli.run(['chat', agent, 'which one?']);
    expect(r.code, r.stderr).toBe(0);
    expect(sessionOf(r.stderr)).toBe(direct.id);
    expect(await contents(api, direct.id)).toHaveLength(2);
  });

  it('--new opens another session; --session continues the one named; --json prints { sessionId, message, reply }', async () => {
    const { api, agent, cli } = await fresh();
    const first = sessionOf((await cli.run(['chat', agent, 'one'])).stderr);
    const fresher = await cli.run(['chat', agent, '--new', 'two']);
    expect(fresher.code, fresher.stderr).toBe(0);
    const second = sessionOf(fresher.stderr);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);

    const group = await api.sessions.create({ agentIds: ['ala', agent] });
    const named = await cli.run(['chat', agent, '--session', group.id, '--json', 'three']);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stderr).toBe('');
    const result = JSON.parse(named.stdout) as ChatResult & { sessionId: string };
    expect(Object.keys(result).sort()).toEqual(['message', 'reply', 'sessionId']);
    expect(result.sessionId).toBe(group.id);
    expect(result.message).toMatchObject({ content: 'three', role: 'user', sessionId: group.id });
    expect(result.reply).toMatchObject({ role: 'agent', replyTo: result.message.id, content: expect.stringMatching(/three$/) });
    expect(await api.sessions.messages(group.id).toArray()).toEqual([result.message, result.reply]);
    expect(await contents(api, first!)).toHaveLength(2);
    expect(await contents(api, second!)).toHaveLength(2);
  });

  it('reads the message from stdin when none is given', async () => {
    const { api, agent, cli } = await fresh();
    const r = await cli.run(['chat', agent], { input: 'from stdin\n' });
    expect(r.code, r.stderr).toBe(0);
    // The reply quotes the message, so it already ends with a newline: none is added.
    expect(r.stdout).toMatch(/[^\n]from stdin\n$/);
    expect(await contents(api, sessionOf(r.stderr)!)).toEqual(['user: from stdin\n', `agent: ${r.stdout}`]);
  });

  it('refuses what it cannot send: no message (exit 2), --new with --session (exit 2), an unknown agent (exit 1)', async () => {
    const { agent, cli } = await fresh();
    const empty = await cli.run(['chat', agent], { input: '  \n' });
    expect(empty).toMatchObject({ code: 2, stdout: '', stderr: 'error: no message: give it as arguments or on stdin\n' });
    const both = await cli.run(['chat', agent, '--new', '--session', '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b', 'x']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--new.*cannot be used with.*--session/);
    const missing = await cli.run(['chat', 'no-such-agent', 'hi']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: NOT_FOUND: /);
  });

  it('a paid model at a balance of zero exits 1 with PAYMENT_REQUIRED', async () => {
    const { agent, cli } = await fresh(PAID);
    const r = await cli.run(['chat', agent, 'hi']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: PAYMENT_REQUIRED: /m);
  });
});

// These queue behaviours on the one fake upstream, so they run one at a time.
describe('alumia chat with a paced or failing model', () => {
  it('writes each piece of the reply as it arrives, before the reply is complete', async () => {
    const { t, agent, cli } = await fresh(PAID);
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 10_000_000n, 'test');
    up.enqueue({ kind: 'reply', chunks: ['First ', 'second ', 'third.'], gapMs: 700 });
    const r = await cli.run(['chat', agent, 'count']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('First second third.\n');
    const first = r.stdoutChunks.find((c) => /\S/.test(c.text))!;
    expect(first.text).toBe('First ');
    // Two more gaps of 700 ms follow the first piece.
    expect(r.exitedAt - first.at).toBeGreaterThanOrEqual(1_000);
  });

  it('an error event ends the text, prints the error line on stderr and exits 1', async () => {
    const { t, agent, cli } = await fresh(PAID);
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 10_000_000n, 'test');
    up.enqueue({ kind: 'stop-mid-stream', chunks: ['partial'], then: 'reset' });
    const r = await cli.run(['chat', agent, 'fail']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('partial\n');
    expect(r.stderr).toMatch(new RegExp(`^session: ${UUID}\\nerror: SERVICE_UNAVAILABLE: .+ \\(request ${UUID}\\)\\n$`));
  });

  it('Ctrl-C stops the stream and closes the connection: exit 130, and the partial reply is kept', async () => {
    const { t, api, agent, cli } = await fresh(PAID);
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 10_000_000n, 'test');
    up.enqueue({ kind: 'reply', chunks: ['one ', 'two ', 'three ', 'four'], gapMs: 1_000 });
    const r = await cli.run(['chat', agent, 'count'], { interrupt: { signal: 'SIGINT', afterStdout: true } });
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('one \n');
    const session = sessionOf(r.stderr);
    expect(r.stderr).toBe(`session: ${session}\ninterrupted; the partial reply is kept in session ${session}\n`);
    await up.waitForAborts(1);
    await expect
      .poll(async () => (await api.sessions.messages(session!).toArray()).map((m) => `${m.role} ${m.status} ${m.content}`))
      .toEqual(['user complete count', 'agent incomplete one ']);
  });
});

describe('alumia billing', () => {
  it('credits prints the balance; --json prints the API data', async () => {
    const { t, cli } = await fresh();
    expect(JSON.parse((await cli.run(['billing', 'credits', '--json'])).stdout)).toEqual({ credits: 0, creditMicro: 0 });
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 1_234_500_000n, 'test');
    const human = await cli.run(['billing', 'credits']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Balance\s+1,234\.5 credits$/m);
    expect(JSON.parse((await cli.run(['billing', 'credits', '--json'])).stdout)).toEqual<CreditAmount>({
      credits: 1234.5,
      creditMicro: 1_234_500_000,
    });
  });

  it('usage prints the replies by day, model or agent with a total; --json prints the report', async () => {
    const { t, api, agent, cli } = await fresh(PAID);
    await new CreditStore(h.db.prisma).grant(t.orgSlug, 10_000_000n, 'test');
    up.enqueue({ kind: 'reply', text: 'Paid.', usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    expect((await cli.run(['chat', agent, 'bill me'])).code).toBe(0);

    const report = JSON.parse((await cli.run(['billing', 'usage', '--group-by', 'model', '--json'])).stdout) as UsageReport;
    expect(report).toEqual(await api.billing.usage({ groupBy: 'model', from: report.from, to: report.to }));
    expect(report.items).toEqual([{ key: PAID, replies: 1, inputTokens: 1000, outputTokens: 500, credits: 0.0012, creditMicro: 1200 }]);
    const table = await cli.run(['billing', 'usage', '--group-by', 'model']);
    expect(table.stdout).toMatch(/^MODEL\s+REPLIES\s+INPUT TOKENS\s+OUTPUT TOKENS\s+CREDITS$/m);
    expect(table.stdout).toMatch(new RegExp(`^${PAID}\\s+1\\s+1,000\\s+500\\s+0\\.0012$`, 'm'));
    expect(table.stdout).toMatch(/^TOTAL\s+1\s+1,000\s+500\s+0\.0012$/m);
    const past = await cli.run(['billing', 'usage', '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z']);
    expect(past.stdout).toContain('No replies.');
    expect((await cli.run(['billing', 'usage', '--group-by', 'week'])).code).toBe(2);
  });
});
