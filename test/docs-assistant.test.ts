import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DocsAnswer } from '../generated/sdk/types.gen.js';
import { contract } from '../server/contract.js';
import { walkTokens, type Tokens } from 'marked';
import { GUIDE_URL, headingId, lexGuide, readGuide } from '../server/docs-assistant/guide.js';
import { SYSTEM_PROMPT, UNKNOWN_ANSWER } from '../server/domain/docs-assistant.js';
import { RELAXED, upstreamEnv, XAI_KEY } from './helpers/chat.js';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { API } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

// POST /docs/ask through HTTP: input rules, public access, citations that point at real anchors, and the
// model mode against the stand-in upstream (its answer, and every failure falling back to the passages).

const ASK = `${API}/docs/ask`;
let h: Harness;
let up: Upstream;
let t: Tenant;
let withModel: Awaited<ReturnType<Harness['rebuild']>>;
let fast: Awaited<ReturnType<Harness['rebuild']>>;
beforeAll(async () => {
  up = await startUpstream();
  h = await startHarness(upstreamEnv(up, RELAXED));
  withModel = await h.rebuild({ DOCS_ASSISTANT_MODEL: 'grok-3' });
  fast = await h.rebuild({ DOCS_ASSISTANT_MODEL: 'grok-3', MODEL_TIMEOUT_MS: '300', MODEL_IDLE_TIMEOUT_MS: '300' });
  t = await h.tenant();
}, 60_000);
afterEach(() => up.reset());
afterAll(async () => {
  await h?.close();
  await up?.close();
});

const ask = (body: unknown, app: { http: Harness['http'] } = h) => app.http.post(ASK).send(body as object);

const operationIds = new Set(
  Object.values(contract.paths).flatMap((item) => Object.values(item ?? {}).map((op) => (op as { operationId?: string }).operationId)),
);
const guideIds = new Set<string>();
void walkTokens(lexGuide(readGuide()), (tk) => {
  if (tk.type === 'heading') guideIds.add(headingId(tk as Tokens.Heading));
});
const sections = new Set(
  [...String((contract.info as { description: string }).description).matchAll(/^## (.+)$/gm)].map((m) =>
    m[1]!.trim().toLowerCase().replace(/\s+/g, '-'),
  ),
);

/** Fails unless `url` is an anchor the reference or the guide really renders. */
function expectRealAnchor(url: string) {
  const op = /^\/docs#operation\/(\w+)$/.exec(url);
  const section = /^\/docs#section\/([a-z0-9-]+)$/.exec(url);
  const guide = new RegExp(`^${GUIDE_URL}#([a-z0-9-]+)$`).exec(url);
  expect(op || section || guide, `${url} is an operation, section or guide anchor`).toBeTruthy();
  if (op) expect(operationIds.has(op[1]), `${url} names a contract operation`).toBe(true);
  if (section) expect(sections.has(section[1]!), `${url} names a section of info.description`).toBe(true);
  if (guide) expect(guideIds.has(guide[1]!), `${url} names a guide heading`).toBe(true);
}

describe('the question', () => {
  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t  '],
    ['1,001 characters after trimming', `  ${'a'.repeat(1_001)}  `],
  ])('is refused with 422 when %s', async (_name, question) => {
    const error = expectError(await ask({ question }), 'VALIDATION_ERROR');
    expect(error.details?.map((d) => d.path)).toEqual(['body.question']);
  });

  it('may be 1,000 characters once trimmed', async () => {
    expectSuccess<DocsAnswer>(await ask({ question: `   delete agent ${'x'.repeat(1_000 - 'delete agent '.length)}   ` }));
  });

  it('refuses an unknown field with 400, and a missing question', async () => {
    expectError(await ask({ question: 'how do I delete an agent', context: 'x' }), 'BAD_REQUEST');
    expectError(await ask({}), 'BAD_REQUEST');
  });
});

describe('who may ask', () => {
  it('answers without a key, with a valid key, and refuses a bad key with 401', async () => {
    const question = { question: 'how do I delete an agent' };
    const anonymous = expectSuccess<DocsAnswer>(await h.http.post(ASK).send(question));
    const keyed = expectSuccess<DocsAnswer>(await h.http.post(ASK).set(t.auth).send(question));
    expect(keyed).toEqual(anonymous);
    expectError(
      await h.http
        .post(ASK)
        .set({ Authorization: `Bearer alm_test_${'0'.repeat(48)}` })
        .send(question),
      'UNAUTHORIZED',
    );
  });

  it('debits no credits for a keyed question, even with a model', async () => {
    const balance = () => h.db.prisma.organization.findUniqueOrThrow({ where: { id: t.orgId }, select: { creditBalanceMicro: true } });
    const before = await balance();
    up.enqueue({ kind: 'reply', text: 'Use DELETE [1].', usage: { prompt_tokens: 1_000, completion_tokens: 1_000 } });
    expectSuccess<DocsAnswer>(await withModel.http.post(ASK).set(t.auth).send({ question: 'how do I delete an agent' }));
    expect(up.requests).toHaveLength(1);
    expect(await balance()).toEqual(before);
  });
});

describe('answers without a model', () => {
  it('quotes up to 3 passages as [1].. with well-formed citations to real anchors', async () => {
    const answer = expectSuccess<DocsAnswer>(await ask({ question: 'how do I delete an agent' }));
    expect(answer.confident).toBe(true);
    expect(answer.citations.length).toBeGreaterThanOrEqual(1);
    expect(answer.citations.length).toBeLessThanOrEqual(3);
    expect(answer.citations[0]!.url).toBe('/docs#operation/deleteAgent');
    expect(new Set(answer.citations.map((c) => c.url)).size).toBe(answer.citations.length);
    answer.citations.forEach((c, i) => {
      expectRealAnchor(c.url);
      expect(c.title.length).toBeGreaterThan(0);
      expect(c.excerpt.length).toBeGreaterThan(0);
      expect(c.excerpt.length).toBeLessThanOrEqual(301);
      expect(answer.answer).toContain(`[${i + 1}] ${c.title}: ${c.excerpt}`);
    });
  });

  it('cites guide headings and reference sections by anchors that exist', async () => {
    for (const question of ['how do I run several servers behind a load balancer', 'why do I get 411']) {
      const answer = expectSuccess<DocsAnswer>(await ask({ question }));
      expect(answer.confident).toBe(true);
      answer.citations.forEach((c) => expectRealAnchor(c.url));
    }
  });

  it('says it does not know, points to /docs, and cites nothing for a question the docs do not cover', async () => {
    for (const question of ['how do I send an SMS', 'kubernetes operator']) {
      const answer = expectSuccess<DocsAnswer>(await ask({ question }));
      expect(answer).toEqual({ answer: UNKNOWN_ANSWER, citations: [], confident: false });
      expect(answer.answer).toContain('/docs');
    }
  });
});

describe('answers with DOCS_ASSISTANT_MODEL', () => {
  it('lets the model write the answer from the retrieved passages only, not streamed', async () => {
    up.enqueue({ kind: 'reply', text: 'Send DELETE /agents/{id} [1].' });
    const answer = expectSuccess<DocsAnswer>(await withModel.http.post(ASK).send({ question: 'how do I delete an agent' }));
    expect(answer.answer).toBe('Send DELETE /agents/{id} [1].');
    expect(answer.confident).toBe(true);
    expect(answer.citations[0]!.url).toBe('/docs#operation/deleteAgent');

    expect(up.requests).toHaveLength(1);
    const sent = up.requests[0]!.body as { model: string; messages: Array<{ role: string; content: string }> };
    expect(up.requests[0]!.headers.authorization).toBe(`Bearer ${XAI_KEY}`);
    expect(sent.model).toBe('grok-3');
    expect(sent.messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
    expect(SYSTEM_PROMPT).toMatch(/only/);
    expect(SYSTEM_PROMPT).toContain('[1]');
    const user = sent.messages[1]!.content;
    answer.citations.forEach((c, i) => expect(user).toContain(`[${i + 1}] ${c.title} (${c.url})`));
    expect(user).toContain('Question: how do I delete an agent');
  });

  it('does not call the model when the docs do not cover the question', async () => {
    const answer = expectSuccess<DocsAnswer>(await withModel.http.post(ASK).send({ question: 'how do I send an SMS' }));
    expect(answer.confident).toBe(false);
    expect(up.requests).toHaveLength(0);
  });

  it.each([
    ['answers 500', { kind: 'status', status: 500 }, 'with'],
    ['rate limits with 429', { kind: 'status', status: 429, retryAfter: '5' }, 'with'],
    ['resets the connection', { kind: 'reset' }, 'with'],
    ['refuses the request with 400', { kind: 'status', status: 400 }, 'with'],
    ['answers nothing', { kind: 'reply', text: '   ' }, 'with'],
    ['sends no first token in time', { kind: 'hang' }, 'fast'],
  ] as const)('falls back to the quoted passages when the provider %s', async (_name, behavior, app) => {
    const plain = expectSuccess<DocsAnswer>(await ask({ question: 'how do I delete an agent' }));
    up.enqueue(behavior);
    const res = await (app === 'fast' ? fast : withModel).http.post(ASK).send({ question: 'how do I delete an agent' });
    expect(expectSuccess<DocsAnswer>(res)).toEqual(plain);
    expect(up.requests).toHaveLength(1);
  });

  it('falls back when the model is on a provider that is not configured', async () => {
    const unconfigured = await h.rebuild({ DOCS_ASSISTANT_MODEL: 'gpt-4.1' });
    const plain = expectSuccess<DocsAnswer>(await ask({ question: 'how do I delete an agent' }));
    expect(expectSuccess<DocsAnswer>(await unconfigured.http.post(ASK).send({ question: 'how do I delete an agent' }))).toEqual(plain);
  });
});

describe('the guide at /docs/guide', () => {
  it('renders README.md with GitHub-style heading ids, no script, under the /docs policy', async () => {
    const res = await h.http.get(GUIDE_URL);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    for (const id of ['getting-started', 'configuration', 'guarantees', 'fail-closed', 'deploying-several-servers']) {
      expect(res.text).toContain(`id="${id}"`);
    }
    expect(res.text).not.toMatch(/<script/i);
  });
});
