import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Message, Model } from '../generated/sdk/types.gen.js';
import { ConfigError, loadConfig, type Env } from '../server/config.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession, MODEL_KEYS } from './helpers/fixtures.js';
import { appOver, startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

/**
 * Model providers as the operator configures them: MODEL_PROVIDERS_FILE (YAML or JSON) adds
 * OpenAI-compatible providers and models, each provider naming the variable that holds its key; the
 * configuration is validated at start-up (ConfigError naming the entry); and the built-in catalog.
 */

const BUILT_IN = ['grok-3', 'grok-3-mini', 'gpt-4.1', 'gpt-4.1-mini', 'claude-sonnet-4', 'gemini-2.5-pro', 'llama-3.3-70b'];
const XAI_SECRET = 'xai-secret-0123456789abcdef';
const MY_SECRET = 'my-secret-fedcba9876543210';

const dir = mkdtempSync(join(tmpdir(), 'alumia-providers-'));
let n = 0;
/** Writes a providers file (an object as JSON or YAML, a string as is) and answers its path. */
function providersFile(content: unknown, ext: 'json' | 'yaml' = 'json'): string {
  const path = join(dir, `providers-${++n}.${ext}`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** The ConfigError loadConfig throws for `env`; fails when it accepts it or throws anything else. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  return expect.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

const model = (over: Record<string, unknown> = {}) => ({
  id: 'acme-large',
  name: 'Acme Large',
  provider: 'acme',
  contextWindow: 8192,
  inputCreditMicroPerMTok: 1_000_000,
  outputCreditMicroPerMTok: 2_000_000,
  ...over,
});

let up: Upstream;
let h: Harness;
let t: Tenant;
let yamlFile: string;

beforeAll(async () => {
  up = await startUpstream();
  // YAML: a keyed provider with a model that has its own name upstream, a keyless one with a free model,
  // a model added to the built-in xai, and the provider the built-in claude-sonnet-4 runs on.
  yamlFile = providersFile(
    `# providers for the test
providers:
  - id: acme
    baseURL: ${up.baseURL}
    apiKeyVariable: MY_KEY
  - id: open
    baseURL: ${up.baseURL}
  - id: anthropic
    baseURL: ${up.baseURL}
    apiKeyVariable: ANTHROPIC_KEY
models:
  - id: acme-large
    name: Acme Large
    description: Acme's big model.
    provider: acme
    upstreamModel: acme/large-v2
    contextWindow: 8192
    inputCreditMicroPerMTok: 1000000
    outputCreditMicroPerMTok: 2000000
  - id: open-free
    name: Open Free
    provider: open
    contextWindow: 4096
    inputCreditMicroPerMTok: 0
    outputCreditMicroPerMTok: 0
  - id: grok-extra
    name: Grok Extra
    provider: xai
    contextWindow: 131072
    inputCreditMicroPerMTok: 5
    outputCreditMicroPerMTok: 7
`,
    'yaml',
  );
  h = await startHarness({ MODEL_PROVIDERS_FILE: yamlFile, XAI_API_KEY: XAI_SECRET, XAI_BASE_URL: up.baseURL, INITIAL_CREDITS: '1' });
  t = await h.tenant();
});
afterAll(async () => {
  await h?.close();
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => up.reset());

type Http = Harness['http'];
const models = async (http: Http) => expectSuccess<{ items: Model[] }>(await http.get(`${API}/models`).set(t.auth)).items;
const byId = (items: Model[]) => new Map(items.map((m) => [m.id, m]));

/** An agent on `modelId` (created through `h`), a session with it, and a chat through `http`. */
async function chatOn(http: Http, modelId: string) {
  const agent = await createAgent(h, t, { name: uniq('Provider agent'), model: modelId });
  const session = await createSession(h, t, { agentIds: [agent.id] });
  return http.post(`${API}/sessions/${session.id}/chat`).set(t.auth).send({ content: 'hello', stream: false });
}

/** A rebuilt app whose environment also has these provider key variables (which Env does not list). */
const withVars = (vars: Record<string, string>) => h.rebuild({ MODEL_PROVIDERS_FILE: yamlFile, ...vars });

describe('MODEL_PROVIDERS_FILE', () => {
  it('adds its models to GET /models with their prices; a keyless provider is available, one whose key is unset is not', async () => {
    const items = byId(await models(h.http));
    expect(items.get('acme-large')).toStrictEqual({
      id: 'acme-large',
      name: 'Acme Large',
      description: "Acme's big model.",
      provider: 'acme',
      available: false,
      contextWindow: 8192,
      inputCreditMicroPerMTok: 1_000_000,
      outputCreditMicroPerMTok: 2_000_000,
      isDefault: false,
    });
    // A description left out is empty; no key variable means none is needed.
    expect(items.get('open-free')).toMatchObject({ provider: 'open', available: true, description: '', inputCreditMicroPerMTok: 0 });
    // A model on the built-in xai is as available as xai is.
    expect(items.get('grok-extra')).toMatchObject({
      provider: 'xai',
      available: true,
      inputCreditMicroPerMTok: 5,
      outputCreditMicroPerMTok: 7,
    });
    // The file's provider `anthropic` is what the built-in claude-sonnet-4 runs on; its key is unset.
    expect(items.get('claude-sonnet-4')).toMatchObject({ provider: 'anthropic', available: false });
    // The built-in models are all still there.
    for (const id of [...BUILT_IN, 'alumia-local']) expect(items.has(id)).toBe(true);
  });

  it('answers 503 naming the key variable for a chat on a provider whose key is unset, without calling it', async () => {
    const res = await chatOn(h.http, 'acme-large');
    const error = expectError(res, 'SERVICE_UNAVAILABLE');
    expect(error.message).toMatch(/MY_KEY/);
    expect(error.message).toMatch(/acme/);
    expect(up.requests).toHaveLength(0);
    expect(expectError(await chatOn(h.http, 'claude-sonnet-4'), 'SERVICE_UNAVAILABLE').message).toMatch(/ANTHROPIC_KEY/);
  });

  it('with the key set: available, and the provider gets that key as Bearer and the upstream model name', async () => {
    const app = await withVars({ MY_KEY: MY_SECRET });
    expect(byId(await models(app.http)).get('acme-large')!.available).toBe(true);
    up.enqueue({ kind: 'reply', text: 'from acme', usage: { prompt_tokens: 1000, completion_tokens: 1000 } });
    const { reply } = expectSuccess<{ reply: Message }>(await chatOn(app.http, 'acme-large'), 201);
    expect(reply).toMatchObject({ model: 'acme-large', content: 'from acme' });
    // The file's prices: 1000 × 1,000,000 + 1000 × 2,000,000 per million = 3000.
    expect(reply.usage).toEqual({ inputTokens: 1000, outputTokens: 1000, creditMicro: 3000 });
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.headers.authorization).toBe(`Bearer ${MY_SECRET}`);
    expect(up.requests[0]!.body.model).toBe('acme/large-v2');
  });

  it('sends the catalog id when no upstreamModel is given, and a placeholder key to a keyless provider', async () => {
    const { reply } = expectSuccess<{ reply: Message }>(await chatOn(h.http, 'open-free'), 201);
    expect(reply.usage!.creditMicro).toBe(0);
    expect(up.requests[0]!.body.model).toBe('open-free');
    expect(up.requests[0]!.headers.authorization).toMatch(/^Bearer \S+$/);
    expect(up.requests[0]!.headers.authorization).not.toContain(XAI_SECRET);
    const app = await withVars({ ANTHROPIC_KEY: 'anthropic-key-1' });
    expectSuccess(await chatOn(app.http, 'claude-sonnet-4'), 201);
    expect(up.requests[1]!.body.model).toBe('claude-sonnet-4');
    expect(up.requests[1]!.headers.authorization).toBe('Bearer anthropic-key-1');
  });

  it('reads the same file as JSON', async () => {
    const json = providersFile({
      providers: [{ id: 'acme', baseURL: up.baseURL, apiKeyVariable: 'MY_KEY' }],
      models: [model({ id: 'acme-json', upstreamModel: 'acme/json' })],
    });
    const config = loadConfig({ MODEL_PROVIDERS_FILE: json, MY_KEY: MY_SECRET });
    expect(config.providers.find((p) => p.id === 'acme')).toMatchObject({
      baseURL: up.baseURL,
      apiKey: MY_SECRET,
      keyVariable: 'MY_KEY',
      missing: undefined,
    });
    expect(config.extraModels).toEqual([expect.objectContaining({ id: 'acme-json', upstreamModel: 'acme/json', contextWindow: 8192 })]);
    const app = await h.rebuild({ MODEL_PROVIDERS_FILE: json, MY_KEY: MY_SECRET } as Partial<Env>);
    expect(byId(await models(app.http)).get('acme-json')).toMatchObject({ available: true, inputCreditMicroPerMTok: 1_000_000 });
    // Without the key the same provider is not configured, and says which variable is missing.
    expect(loadConfig({ MODEL_PROVIDERS_FILE: json }).providers.find((p) => p.id === 'acme')).toMatchObject({
      apiKey: undefined,
      missing: 'MY_KEY',
    });
  });

  it('answers 409, without calling anything, for an agent whose model the file no longer lists', async () => {
    const agent = await createAgent(h, t, { name: uniq('Orphaned'), model: 'open-free' });
    const session = await createSession(h, t, { agentIds: [agent.id] });
    const without = await h.rebuild({ MODEL_PROVIDERS_FILE: '' });
    const res = await without.http.post(`${API}/sessions/${session.id}/chat`).set(t.auth).send({ content: 'still there?' });
    expect(expectError(res, 'CONFLICT').message).toBe(
      `Agent ${agent.slug} runs on model open-free, which this server's catalog no longer has; change the agent's model`,
    );
    expect(up.requests).toHaveLength(0);
    expect(await h.db.prisma.message.count({ where: { sessionId: session.id } })).toBe(0);
  });

  it('accepts an empty file: no extra providers or models', () => {
    const config = loadConfig({ MODEL_PROVIDERS_FILE: providersFile('', 'yaml') });
    expect(config.extraModels).toEqual([]);
    expect(config.providers.map((p) => p.id)).toEqual(['xai', 'openai']);
  });

  it('refuses at app build a model id the built-in catalog already has, naming it', async () => {
    const file = providersFile({ providers: [{ id: 'acme', baseURL: up.baseURL }], models: [model({ id: 'grok-3' })] });
    await expect(h.rebuild({ MODEL_PROVIDERS_FILE: file })).rejects.toThrow(/grok-3/);
    await expect(
      h.rebuild({ MODEL_PROVIDERS_FILE: providersFile({ models: [model({ id: 'alumia-local', provider: 'xai' })] }) }),
    ).rejects.toThrow(/alumia-local/);
  });
});

describe('invalid providers files', () => {
  const acme = (over: Record<string, unknown> = {}) => ({ id: 'acme', baseURL: 'http://127.0.0.1:1/v1', ...over });
  const refused = (content: unknown, ext: 'json' | 'yaml' = 'json') => {
    const message = refusal({ MODEL_PROVIDERS_FILE: providersFile(content, ext) });
    expect(message).toContain('MODEL_PROVIDERS_FILE');
    return message;
  };

  it.each([
    ['a baseURL that is not a URL', { providers: [acme({ baseURL: 'not a url' })] }, 'providers[0].baseURL'],
    [
      'a baseURL that is not http(s)',
      { providers: [acme(), acme({ id: 'other', baseURL: 'ftp://example.test/v1' })] },
      'providers[1].baseURL',
    ],
    ['a model of an unknown provider', { providers: [acme()], models: [model({ provider: 'nobody' })] }, 'models[0].provider: nobody'],
    ['a provider listed twice', { providers: [acme(), acme()] }, 'providers[1].id: acme is listed twice'],
    ['a built-in provider redefined', { providers: [acme({ id: 'xai' })] }, 'providers[0].id: xai is built in'],
    ['the local provider redefined', { providers: [acme({ id: 'local' })] }, 'providers[0].id: local is built in'],
    ['a model listed twice', { providers: [acme()], models: [model(), model()] }, 'models[1].id: acme-large is listed twice'],
    ['an unknown property of a provider', { providers: [acme({ apiKey: 'sk-in-the-file' })] }, 'providers[0]'],
    ['an unknown property of a model', { providers: [acme()], models: [model({ price: 3 })] }, 'models[0]'],
    ['an unknown top-level property', { providers: [], extra: true }, '(file)'],
    ['a model without contextWindow', { providers: [acme()], models: [model({ contextWindow: undefined })] }, 'models[0].contextWindow'],
    ['a negative price', { providers: [acme()], models: [model({ inputCreditMicroPerMTok: -1 })] }, 'models[0].inputCreditMicroPerMTok'],
    [
      'a fractional price',
      { providers: [acme()], models: [model({ outputCreditMicroPerMTok: 1.5 })] },
      'models[0].outputCreditMicroPerMTok',
    ],
    ['a key variable that is not a variable name', { providers: [acme({ apiKeyVariable: 'my key' })] }, 'providers[0].apiKeyVariable'],
    ['a provider id with capitals', { providers: [acme({ id: 'Acme' })] }, 'providers[0].id'],
    ['providers that are not a list', { providers: { acme: acme() } }, 'providers'],
  ])('refuses %s, naming the entry', (_label, content, entry) => {
    expect(refused(content)).toContain(entry);
  });

  it('names the unknown property, and never echoes a key written into the file', () => {
    const message = refused({ providers: [acme({ apiKey: 'sk-in-the-file' })] });
    expect(message).toMatch(/apiKey/);
    expect(message).not.toContain('sk-in-the-file');
  });

  it('reports every problem of a file at once', () => {
    const message = refused({ providers: [acme({ id: 'openai' })], models: [model({ provider: 'nobody' })] });
    expect(message).toContain('providers[0].id: openai is built in');
    expect(message).toContain('models[0].provider: nobody');
  });

  it('refuses a path it cannot read, naming the path', () => {
    const path = join(dir, 'missing', 'providers.yaml');
    const message = refusal({ MODEL_PROVIDERS_FILE: path });
    expect(message).toContain('MODEL_PROVIDERS_FILE');
    expect(message).toContain(`cannot read ${path}`);
    expect(refusal({ MODEL_PROVIDERS_FILE: dir })).toContain(`cannot read ${dir}`);
  });

  it('refuses a YAML syntax error and a file that is not a mapping', () => {
    expect(refused('providers:\n  - id: acme\n    baseURL: [unclosed\n', 'yaml')).toMatch(/cannot read/);
    expect(refused('{"providers": [', 'json')).toMatch(/cannot read/);
    expect(refused('- just\n- a list\n', 'yaml')).toContain('(file)');
  });
});

describe('the environment', () => {
  it('requires XAI_BASE_URL and OPENAI_BASE_URL to be http(s) URLs', () => {
    expect(refusal({ XAI_BASE_URL: 'not a url' })).toContain('XAI_BASE_URL');
    expect(refusal({ OPENAI_BASE_URL: 'ftp://example.test/v1' })).toContain('OPENAI_BASE_URL');
    const config = loadConfig({ XAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_BASE_URL: 'https://proxy.example.test/openai' });
    expect(config.providers.map((p) => [p.id, p.baseURL])).toEqual([
      ['xai', 'http://127.0.0.1:9/v1'],
      ['openai', 'https://proxy.example.test/openai'],
    ]);
    // Without keys both built-in providers name the variable to set.
    expect(config.providers.map((p) => p.missing)).toEqual(['XAI_API_KEY', 'OPENAI_API_KEY']);
    expect(loadConfig({}).providers.map((p) => p.baseURL)).toEqual(['https://api.x.ai/v1', 'https://api.openai.com/v1']);
  });

  it.each(['-1', 'abc', '1.1234567', '1e3', '', ' ', '0x10', '1,5', '1000000000000'])('refuses INITIAL_CREDITS %j', (value) => {
    expect(refusal({ INITIAL_CREDITS: value })).toContain('INITIAL_CREDITS');
  });

  it('reads INITIAL_CREDITS as exact creditMicro, 0 by default', () => {
    expect(loadConfig({}).initialCreditMicro).toBe(0n);
    expect(loadConfig({ INITIAL_CREDITS: '12.5' }).initialCreditMicro).toBe(12_500_000n);
    expect(loadConfig({ INITIAL_CREDITS: '0.000001' }).initialCreditMicro).toBe(1n);
    expect(loadConfig({ INITIAL_CREDITS: '0' }).initialCreditMicro).toBe(0n);
    expect(loadConfig({ INITIAL_CREDITS: '3' }).initialCreditMicro).toBe(3_000_000n);
  });

  it.each([
    ['MODEL_TIMEOUT_MS', '99'],
    ['MODEL_TIMEOUT_MS', '600001'],
    ['MODEL_TIMEOUT_MS', 'soon'],
    ['MODEL_TIMEOUT_MS', '1000.5'],
    ['MODEL_IDLE_TIMEOUT_MS', '99'],
    ['MODEL_IDLE_TIMEOUT_MS', '600001'],
    ['SSE_KEEPALIVE_MS', '15001'],
  ])('refuses %s=%s', (name, value) => {
    expect(refusal({ [name]: value })).toContain(name);
  });

  it('accepts the timeouts at their bounds', () => {
    expect(loadConfig({ MODEL_TIMEOUT_MS: '100', MODEL_IDLE_TIMEOUT_MS: '600000' }).chat).toMatchObject({
      firstTokenTimeoutMs: 100,
      idleTimeoutMs: 600_000,
    });
    expect(loadConfig({ MODEL_TIMEOUT_MS: '600000', MODEL_IDLE_TIMEOUT_MS: '100' }).chat).toMatchObject({
      firstTokenTimeoutMs: 600_000,
      idleTimeoutMs: 100,
    });
    expect(loadConfig({}).chat).toStrictEqual({ firstTokenTimeoutMs: 30_000, idleTimeoutMs: 30_000, keepAliveMs: 15_000 });
  });
});

describe('the built-in catalog', () => {
  it('keeps every built-in model id, each with non-zero prices and exactly the documented fields', async () => {
    const items = byId(await models(h.http));
    for (const id of BUILT_IN) {
      const m = items.get(id);
      expect(m, id).toBeDefined();
      expect(Object.keys(m!).sort()).toEqual(MODEL_KEYS);
      expect(m!.inputCreditMicroPerMTok, id).toBeGreaterThan(0);
      expect(m!.outputCreditMicroPerMTok, id).toBeGreaterThan(0);
      expect(Number.isInteger(m!.inputCreditMicroPerMTok) && Number.isInteger(m!.outputCreditMicroPerMTok)).toBe(true);
    }
    expect(items.get('grok-3')).toMatchObject({
      provider: 'xai',
      inputCreditMicroPerMTok: 3_000_000,
      outputCreditMicroPerMTok: 15_000_000,
    });
    expect(items.get('grok-3-mini')).toMatchObject({
      provider: 'xai',
      inputCreditMicroPerMTok: 300_000,
      outputCreditMicroPerMTok: 500_000,
    });
  });

  it('has alumia-local: free, provider local, available with no configuration, described as a stand-in', async () => {
    // An app with nothing configured: no provider keys, no providers file.
    const bare = appOver(h.db);
    const items = byId(await models(bare.http));
    expect(items.get('alumia-local')).toMatchObject({
      provider: 'local',
      available: true,
      inputCreditMicroPerMTok: 0,
      outputCreditMicroPerMTok: 0,
      isDefault: false,
    });
    const description = items.get('alumia-local')!.description;
    expect(description).toMatch(/stand-in/);
    expect(description).toMatch(/not a language model/);
    // Everything else needs configuration.
    for (const id of BUILT_IN) expect(items.get(id)!.available, id).toBe(false);
    expect(expectError(await chatOn(bare.http, 'gpt-4.1'), 'SERVICE_UNAVAILABLE').message).toMatch(/OPENAI_API_KEY/);
    expect(expectError(await chatOn(bare.http, 'grok-3'), 'SERVICE_UNAVAILABLE').message).toMatch(/XAI_API_KEY/);
    expect(expectError(await chatOn(bare.http, 'gemini-2.5-pro'), 'SERVICE_UNAVAILABLE').message).toMatch(/MODEL_PROVIDERS_FILE/);
    const { reply } = expectSuccess<{ reply: Message }>(await chatOn(bare.http, 'alumia-local'), 201);
    expect(reply).toMatchObject({ model: 'alumia-local', usage: { creditMicro: 0 } });
    expect(up.requests).toHaveLength(0);
  });
});

describe('provider keys', () => {
  it('never appear in GET /models, in an answer naming the key variable, or in any log line', async () => {
    const app = await withVars({ MY_KEY: MY_SECRET, XAI_API_KEY: XAI_SECRET });
    const listing = await app.http.get(`${API}/models`).set(t.auth);
    expect(listing.text).not.toContain(MY_SECRET);
    expect(listing.text).not.toContain(XAI_SECRET);
    // The provider refuses the key: the answer names the variable, not its value.
    up.enqueue({ kind: 'status', status: 401 });
    const refused = expectError(await chatOn(app.http, 'acme-large'), 'SERVICE_UNAVAILABLE');
    expect(refused.message).toMatch(/MY_KEY/);
    // The provider echoes the key in its error text: it is redacted.
    up.enqueue({
      kind: 'status',
      status: 400,
      body: { error: { message: `bad request with key ${MY_SECRET}`, type: 'invalid_request_error' } },
    });
    const rejected = expectError(await chatOn(app.http, 'acme-large'), 'VALIDATION_ERROR');
    expect(rejected.message).not.toContain(MY_SECRET);
    up.enqueue({ kind: 'reply', text: 'ok', usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expectSuccess(await chatOn(app.http, 'grok-3'), 201);
    expect(up.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${MY_SECRET}`, `Bearer ${MY_SECRET}`, `Bearer ${XAI_SECRET}`]);

    expect(h.logs.length).toBeGreaterThan(0);
    for (const line of h.logs) {
      expect(line).not.toContain(MY_SECRET);
      expect(line).not.toContain(XAI_SECRET);
    }
  });
});
