import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, ApiKey, ApiKeyCreated, ErrorCode, Message, PageInfo, Session } from '../generated/sdk/types.gen.js';
import { changedTables, fingerprint, fingerprintQuery, tableNames } from './helpers/db-state.js';
import { expectError, expectSuccess, type HttpResult } from './helpers/envelope.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';

/**
 * Every range the contract states, exactly at each limit and one past it: at the limit the request is
 * accepted and the value stored exactly as the contract says; one past, it is refused with the code of the
 * contract's error table (422 for a well-typed value out of range, 400 for the shape, 413 for the body cap)
 * and nothing is written.
 */

let h: Harness;
let t: Tenant;
let fingerprintSql: string;
let tables: string[];

beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  tables = await tableNames(h.db.prisma);
  fingerprintSql = fingerprintQuery(tables);
});
afterAll(() => h?.close());

type Page<T> = PageInfo & { items: T[] };

const snapshot = () => fingerprint(h.db.prisma, tables, fingerprintSql);

/** Asserts `send()` is refused with `code`, on `path` when given, and that no table changed. */
async function refused(send: () => PromiseLike<HttpResult>, code: ErrorCode, path?: string) {
  const before = await snapshot();
  const res = await send();
  const error = expectError(res, code);
  if (path !== undefined)
    expect(
      error.details?.map((d) => d.path),
      JSON.stringify(error),
    ).toContain(path);
  expect(changedTables(before, await snapshot())).toEqual([]);
  return error;
}

const post = (path: string, body: unknown, who: Tenant = t) =>
  h.http
    .post(`/api/v1${path}`)
    .set(who.auth)
    .send(body as object);
const patch = (path: string, body: unknown, who: Tenant = t) =>
  h.http
    .patch(`/api/v1${path}`)
    .set(who.auth)
    .send(body as object);
const get = (path: string, who: Tenant = t) => h.http.get(`/api/v1${path}`).set(who.auth);
const createAgent = async (body: Record<string, unknown>) =>
  expectSuccess<Agent>(await post('/agents', { name: uniq('Agent'), ...body }), 201);
const readAgent = async (id: string) => expectSuccess<Agent>(await get(`/agents/${id}`));

/** A JSON object that serializes to exactly `bytes` bytes. */
function objectOfBytes(bytes: number): Record<string, string> {
  const overhead = Buffer.byteLength('{"k":""}');
  const value = { k: 'x'.repeat(bytes - overhead) };
  expect(Buffer.byteLength(JSON.stringify(value))).toBe(bytes);
  return value;
}
/** `levels` levels of objects, the outermost being level 1. */
const nested = (levels: number): Record<string, unknown> => (levels <= 1 ? { leaf: true } : { a: nested(levels - 1) });

describe('agent name: 1 to 255 characters after collapsing whitespace', () => {
  it('stores 1 and 255 characters, the latter even when sent with whitespace around it', async () => {
    const one = await createAgent({ name: 'x' });
    expect((await readAgent(one.id)).name).toBe('x');
    const longest = 'n'.repeat(255);
    const max = await createAgent({ name: `  ${longest}\t` });
    expect((await readAgent(max.id)).name).toBe(longest);
    // 255 after collapsing, from far more characters sent (up to the raw cap of 1024).
    const spaced = `${'n'.repeat(127)}${' '.repeat(1024 - 254)}${'n'.repeat(127)}`;
    expect(spaced).toHaveLength(1024);
    const collapsed = await createAgent({ name: spaced });
    expect((await readAgent(collapsed.id)).name).toBe(`${'n'.repeat(127)} ${'n'.repeat(127)}`);
  });

  it('refuses 256 characters, an empty name and one of only whitespace with 422', async () => {
    await refused(() => post('/agents', { name: 'n'.repeat(256) }), 'VALIDATION_ERROR', 'body.name');
    await refused(() => post('/agents', { name: `${'n'.repeat(128)} ${'n'.repeat(127)}` }), 'VALIDATION_ERROR', 'body.name');
    await refused(() => post('/agents', { name: '' }), 'VALIDATION_ERROR', 'body.name');
    await refused(() => post('/agents', { name: ' \t ' }), 'VALIDATION_ERROR', 'body.name');
  });

  it('refuses 1025 characters sent, whatever they collapse to, with 422', async () => {
    await refused(() => post('/agents', { name: `a${' '.repeat(1023)}b` }), 'VALIDATION_ERROR', 'body.name');
  });

  it('applies the same range to a rename', async () => {
    const a = await createAgent({});
    expect(expectSuccess<Agent>(await patch(`/agents/${a.id}`, { name: 'r'.repeat(255) })).name).toBe('r'.repeat(255));
    await refused(() => patch(`/agents/${a.id}`, { name: 'r'.repeat(256) }), 'VALIDATION_ERROR', 'body.name');
    expect((await readAgent(a.id)).name).toBe('r'.repeat(255));
  });
});

describe('agent text fields', () => {
  it('stores a description of 5,000 characters and refuses 5,001 with 422', async () => {
    const a = await createAgent({ description: 'd'.repeat(5000) });
    expect((await readAgent(a.id)).description).toBe('d'.repeat(5000));
    await refused(() => post('/agents', { name: 'Desc', description: 'd'.repeat(5001) }), 'VALIDATION_ERROR', 'body.description');
    await refused(() => patch(`/agents/${a.id}`, { description: 'd'.repeat(5001) }), 'VALIDATION_ERROR', 'body.description');
  });

  it('counts characters, not bytes or UTF-16 units: 5,000 emoji fit', async () => {
    const a = await createAgent({ description: '🦉'.repeat(5000) });
    expect((await readAgent(a.id)).description).toBe('🦉'.repeat(5000));
    await refused(() => post('/agents', { name: 'Owls', description: '🦉'.repeat(5001) }), 'VALIDATION_ERROR', 'body.description');
  });

  it('stores a systemPrompt of 20,000 characters and refuses 20,001 with 422', async () => {
    const a = await createAgent({ systemPrompt: 'p'.repeat(20000) });
    expect((await readAgent(a.id)).systemPrompt).toBe('p'.repeat(20000));
    await refused(() => post('/agents', { name: 'Prompt', systemPrompt: 'p'.repeat(20001) }), 'VALIDATION_ERROR', 'body.systemPrompt');
    await refused(() => patch(`/agents/${a.id}`, { systemPrompt: 'p'.repeat(20001) }), 'VALIDATION_ERROR', 'body.systemPrompt');
  });

  it('takes a model id of up to 100 characters (an unknown one is 400) and refuses 101 with 422', async () => {
    await refused(() => post('/agents', { name: 'Model', model: 'm'.repeat(100) }), 'BAD_REQUEST', 'body.model');
    await refused(() => post('/agents', { name: 'Model', model: 'm'.repeat(101) }), 'VALIDATION_ERROR', 'body.model');
  });

  it('stores an avatar of 64 characters and refuses 65 with 422', async () => {
    const avatar = `a${'b.-_'.repeat(15)}xyz`;
    expect(avatar).toHaveLength(64);
    const a = await createAgent({ avatar });
    expect((await readAgent(a.id)).avatar).toBe(avatar);
    await refused(() => post('/agents', { name: 'Avatar', avatar: `${avatar}z` }), 'VALIDATION_ERROR', 'body.avatar');
  });
});

describe('agent slug: 1 to 64 characters', () => {
  it('stores a slug of 64 and of 1 character and refuses 65 and 0 with 422', async () => {
    const a = await createAgent({});
    const slug = `s${'-a'.repeat(31)}z`;
    expect(slug).toHaveLength(64);
    expect(expectSuccess<Agent>(await patch(`/agents/${a.id}`, { slug })).slug).toBe(slug);
    expect((await readAgent(slug)).id).toBe(a.id);
    expect(expectSuccess<Agent>(await patch(`/agents/${a.id}`, { slug: 'q' })).slug).toBe('q');
    await refused(() => patch(`/agents/${a.id}`, { slug: `${slug}z` }), 'VALIDATION_ERROR', 'body.slug');
    await refused(() => patch(`/agents/${a.id}`, { slug: '' }), 'VALIDATION_ERROR', 'body.slug');
    expect((await readAgent(a.id)).slug).toBe('q');
  });

  it('cuts a slug derived from a long name to 56 characters, leaving room for a suffix', async () => {
    const first = await createAgent({ name: 'L'.repeat(255) });
    expect(first.slug).toBe('l'.repeat(56));
    const second = await createAgent({ name: 'L'.repeat(255) });
    expect(second.slug).toBe(`${'l'.repeat(56)}-2`);
  });
});

describe('agent settings: 32 KB serialized, 8 levels deep', () => {
  it('stores settings of exactly 32,768 bytes and refuses 32,769 with 422', async () => {
    const settings = objectOfBytes(32768);
    const a = await createAgent({ settings });
    expect((await readAgent(a.id)).settings.k).toBe(settings.k);
    await refused(() => post('/agents', { name: 'Big', settings: objectOfBytes(32769) }), 'VALIDATION_ERROR', 'body.settings');
    await refused(() => patch(`/agents/${a.id}`, { settings: objectOfBytes(32769) }), 'VALIDATION_ERROR', 'body.settings');
  });

  it('stores 8 levels (the settings object is level 1) and refuses 9 with 422', async () => {
    const a = await createAgent({ settings: nested(8) });
    const { voice, ...stored } = (await readAgent(a.id)).settings;
    expect(voice).toEqual({ provider: 'openai', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 });
    expect(stored).toEqual(nested(8));
    await refused(() => post('/agents', { name: 'Deep', settings: nested(9) }), 'VALIDATION_ERROR', 'body.settings');
  });
});

describe('voice profile ranges', () => {
  const voiceOf = async (voice: Record<string, unknown>) =>
    (await readAgent((await createAgent({ settings: { voice } })).id)).settings.voice;
  const refuseVoice = (voice: Record<string, unknown>, field: string) =>
    refused(() => post('/agents', { name: 'Voice', settings: { voice } }), 'VALIDATION_ERROR', `body.settings.voice.${field}`);

  it('speed: stores 0.25 and 4, refuses 0.24 and 4.01', async () => {
    expect((await voiceOf({ speed: 0.25 })).speed).toBe(0.25);
    expect((await voiceOf({ speed: 4 })).speed).toBe(4);
    await refuseVoice({ speed: 0.24 }, 'speed');
    await refuseVoice({ speed: 4.01 }, 'speed');
  });

  it('pitch: stores -12 and 12, refuses -12.01 and 12.01', async () => {
    expect((await voiceOf({ pitch: -12 })).pitch).toBe(-12);
    expect((await voiceOf({ pitch: 12 })).pitch).toBe(12);
    await refuseVoice({ pitch: -12.01 }, 'pitch');
    await refuseVoice({ pitch: 12.01 }, 'pitch');
  });

  it('voiceId: stores 1 and 128 characters after trimming, refuses 0 and 129', async () => {
    expect((await voiceOf({ voiceId: ' v ' })).voiceId).toBe('v');
    expect((await voiceOf({ voiceId: 'v'.repeat(128) })).voiceId).toBe('v'.repeat(128));
    await refuseVoice({ voiceId: '   ' }, 'voiceId');
    await refuseVoice({ voiceId: 'v'.repeat(129) }, 'voiceId');
  });

  it('language: stores a numeric region (es-419) in canonical case, refuses a four-letter language', async () => {
    expect((await voiceOf({ language: 'ES_419' })).language).toBe('es-419');
    expect((await voiceOf({ language: 'pt-br' })).language).toBe('pt-BR');
    await refuseVoice({ language: 'english' }, 'language');
    await refuseVoice({ language: 'es-4190' }, 'language');
  });

  it('applies the ranges to a PATCH too, leaving the stored voice as it was', async () => {
    const a = await createAgent({ settings: { voice: { speed: 4 } } });
    await refused(
      () => patch(`/agents/${a.id}`, { settings: { voice: { speed: 4.01 } } }),
      'VALIDATION_ERROR',
      'body.settings.voice.speed',
    );
    expect((await readAgent(a.id)).settings.voice.speed).toBe(4);
  });
});

describe('agent lists: allowedTools and the like, at most 100 slugs of up to 64 characters', () => {
  const tools = (n: number) => Array.from({ length: n }, (_, i) => `tool-${i}`);

  it('stores 100 tools and refuses 101 with 422', async () => {
    const a = await createAgent({ allowedTools: tools(100) });
    expect((await readAgent(a.id)).allowedTools).toEqual(tools(100));
    await refused(() => post('/agents', { name: 'Tools', allowedTools: tools(101) }), 'VALIDATION_ERROR', 'body.allowedTools');
  });

  it('stores a tool slug of 64 characters and refuses 65 with 422', async () => {
    const a = await createAgent({ allowedConnectors: ['c'.repeat(64)] });
    expect((await readAgent(a.id)).allowedConnectors).toEqual(['c'.repeat(64)]);
    await refused(
      () => post('/agents', { name: 'Conn', allowedConnectors: ['c'.repeat(65)] }),
      'VALIDATION_ERROR',
      'body.allowedConnectors.0',
    );
  });
});

describe('page size: limit 1 to 100', () => {
  let owner: Tenant;
  beforeAll(async () => {
    owner = await h.tenant();
    // Ala and 99 more: exactly one full page of 100.
    for (let i = 0; i < 99; i++) expectSuccess<Agent>(await post('/agents', { name: `Paged ${i}` }, owner), 201);
  });

  it('limit=1 gives one agent and a cursor; limit=100 gives a full last page with no cursor', async () => {
    const one = expectSuccess<Page<Agent>>(await get('/agents?limit=1', owner));
    expect({ n: one.items.length, limit: one.limit, hasMore: one.hasMore }).toEqual({ n: 1, limit: 1, hasMore: true });
    expect(one.nextCursor).toEqual(expect.any(String));
    const full = expectSuccess<Page<Agent>>(await get('/agents?limit=100', owner));
    expect({ n: full.items.length, limit: full.limit, hasMore: full.hasMore, nextCursor: full.nextCursor }).toEqual({
      n: 100,
      limit: 100,
      hasMore: false,
      nextCursor: null,
    });
    const byDefault = expectSuccess<Page<Agent>>(await get('/agents', owner));
    expect({ n: byDefault.items.length, limit: byDefault.limit, hasMore: byDefault.hasMore }).toEqual({
      n: 100,
      limit: 100,
      hasMore: false,
    });
  });

  it('the 101st agent moves to a second page', async () => {
    expectSuccess<Agent>(await post('/agents', { name: 'Paged last' }, owner), 201);
    const first = expectSuccess<Page<Agent>>(await get('/agents?limit=100', owner));
    expect({ n: first.items.length, hasMore: first.hasMore }).toEqual({ n: 100, hasMore: true });
    const second = expectSuccess<Page<Agent>>(await get(`/agents?limit=100&cursor=${first.nextCursor}`, owner));
    expect({ n: second.items.length, hasMore: second.hasMore, nextCursor: second.nextCursor }).toEqual({
      n: 1,
      hasMore: false,
      nextCursor: null,
    });
    const ids = new Set([...first.items, ...second.items].map((a) => a.id));
    expect(ids.size).toBe(101);
  });

  it('refuses limit 0 and 101 with 422 on every paginated list', async () => {
    const session = expectSuccess<Session>(await post('/sessions', { agentIds: ['ala'] }), 201);
    for (const path of ['/agents', '/sessions', '/api-keys', `/sessions/${session.id}/messages`]) {
      expect(expectSuccess<PageInfo>(await get(`${path}?limit=100`)).limit).toBe(100);
      expect(expectSuccess<PageInfo>(await get(`${path}?limit=1`)).limit).toBe(1);
      await refused(() => get(`${path}?limit=0`), 'VALIDATION_ERROR', 'query.limit');
      await refused(() => get(`${path}?limit=101`), 'VALIDATION_ERROR', 'query.limit');
    }
  });

  it('agent messages: limit 1 and 100 accepted, 0 and 101 refused with 422', async () => {
    expectSuccess<unknown>(await get('/agents/ala/messages?limit=1'));
    expectSuccess<unknown>(await get('/agents/ala/messages?limit=100'));
    await refused(() => get('/agents/ala/messages?limit=0'), 'VALIDATION_ERROR', 'query.limit');
    await refused(() => get('/agents/ala/messages?limit=101'), 'VALIDATION_ERROR', 'query.limit');
  });

  it('refuses a cursor of 513 characters with 422, and one of 512 that this API did not issue with 422 too', async () => {
    await refused(() => get(`/agents?cursor=${'A'.repeat(513)}`), 'VALIDATION_ERROR', 'query.cursor');
    await refused(() => get(`/agents?cursor=${'A'.repeat(512)}`), 'VALIDATION_ERROR', 'query.cursor');
  });

  it('refuses a cursor whose date does not exist, with 422', async () => {
    const cursor = Buffer.from(JSON.stringify(['2024-02-30T00:00:00.000Z', '0f8fad5b-d9cb-469f-a165-70867728950e'])).toString('base64url');
    await refused(() => get(`/agents?cursor=${cursor}`), 'VALIDATION_ERROR', 'query.cursor');
  });
});

describe('sessions', () => {
  it('stores a title of 255 characters and refuses 256 with 422', async () => {
    const s = expectSuccess<Session>(await post('/sessions', { agentIds: ['ala'], title: 'T'.repeat(255) }), 201);
    expect(expectSuccess<Session>(await get(`/sessions/${s.id}`)).title).toBe('T'.repeat(255));
    await refused(() => post('/sessions', { agentIds: ['ala'], title: 'T'.repeat(256) }), 'VALIDATION_ERROR', 'body.title');
  });

  it('takes 1 to 20 agents: refuses 0 and 21 with 422', async () => {
    const owner = await h.tenant();
    const slugs = ['ala'];
    for (let i = 1; i < 21; i++) slugs.push(expectSuccess<Agent>(await post('/agents', { name: `Member ${i}` }, owner), 201).slug);
    expect(slugs).toHaveLength(21);
    const s = expectSuccess<Session>(await post('/sessions', { agentIds: slugs.slice(0, 20) }, owner), 201);
    expect(expectSuccess<Session>(await get(`/sessions/${s.id}`, owner)).agentIds).toHaveLength(20);
    await refused(() => post('/sessions', { agentIds: slugs }, owner), 'VALIDATION_ERROR', 'body.agentIds');
    await refused(() => post('/sessions', { agentIds: [] }, owner), 'VALIDATION_ERROR', 'body.agentIds');
  });

  it('stores metadata of exactly 32,768 bytes and 8 levels, refuses 32,769 bytes or 9 levels with 422', async () => {
    const big = objectOfBytes(32768);
    const s = expectSuccess<Session>(await post('/sessions', { agentIds: ['ala'], metadata: big }), 201);
    expect(expectSuccess<Session>(await get(`/sessions/${s.id}`)).metadata).toEqual(big);
    const deep = expectSuccess<Session>(await post('/sessions', { agentIds: ['ala'], metadata: nested(8) }), 201);
    expect(expectSuccess<Session>(await get(`/sessions/${deep.id}`)).metadata).toEqual(nested(8));
    await refused(() => post('/sessions', { agentIds: ['ala'], metadata: objectOfBytes(32769) }), 'VALIDATION_ERROR', 'body.metadata');
    await refused(() => post('/sessions', { agentIds: ['ala'], metadata: nested(9) }), 'VALIDATION_ERROR', 'body.metadata');
  });
});

describe('messages: content 1 to 100,000 characters, body up to 512 KB', () => {
  let sessionId: string;
  beforeAll(async () => {
    sessionId = expectSuccess<Session>(await post('/sessions', { agentIds: ['ala'] }), 201).id;
  });
  const send = (content: string) => post(`/sessions/${sessionId}/messages`, { content });

  it('stores 1 and 100,000 characters, even of 4-byte characters', async () => {
    expect(expectSuccess<Message>(await send('x'), 201).content).toBe('x');
    expect(expectSuccess<Message>(await send('m'.repeat(100000)), 201).content).toBe('m'.repeat(100000));
    const owls = expectSuccess<Message>(await send('🦉'.repeat(100000)), 201);
    const page = expectSuccess<Page<Message>>(await get(`/sessions/${sessionId}/messages?limit=100`));
    expect(page.items.find((m) => m.id === owls.id)?.content).toBe('🦉'.repeat(100000));
  });

  it('refuses empty content and 100,001 characters with 422', async () => {
    await refused(() => send(''), 'VALIDATION_ERROR', 'body.content');
    await refused(() => send('m'.repeat(100001)), 'VALIDATION_ERROR', 'body.content');
  });

  it('accepts a body of exactly 524,288 bytes and refuses one byte more with 413', async () => {
    const body = (bytes: number) => {
      const json = JSON.stringify({ content: 'padded' });
      return json + ' '.repeat(bytes - Buffer.byteLength(json));
    };
    const raw = (bytes: number) =>
      h.http.post(`/api/v1/sessions/${sessionId}/messages`).set(t.auth).set('Content-Type', 'application/json').send(body(bytes));
    expectSuccess<Message>(await raw(524288), 201);
    await refused(() => raw(524289), 'PAYLOAD_TOO_LARGE');
  });
});

describe('request body cap: 128 KB', () => {
  const body = (bytes: number) => {
    const json = JSON.stringify({ name: 'Capped' });
    const padded = json + ' '.repeat(bytes - Buffer.byteLength(json));
    expect(Buffer.byteLength(padded)).toBe(bytes);
    return padded;
  };
  const raw = (bytes: number) => h.http.post('/api/v1/agents').set(t.auth).set('Content-Type', 'application/json').send(body(bytes));

  it('accepts a body of exactly 131,072 bytes and refuses 131,073 with 413', async () => {
    expect(expectSuccess<Agent>(await raw(131072), 201).name).toBe('Capped');
    await refused(() => raw(131073), 'PAYLOAD_TOO_LARGE');
  });
});

describe('API keys: name 1 to 100 characters after trimming', () => {
  it('stores 1 and 100 characters (trimmed), refuses 101 and an empty name with 422', async () => {
    const one = expectSuccess<ApiKeyCreated>(await post('/api-keys', { name: ' k ' }), 201);
    expect(one.name).toBe('k');
    const max = expectSuccess<ApiKeyCreated>(await post('/api-keys', { name: 'k'.repeat(100) }), 201);
    expect(max.name).toBe('k'.repeat(100));
    const listed = expectSuccess<Page<ApiKey>>(await get('/api-keys?limit=100')).items.map((k) => k.name);
    expect(listed).toEqual(expect.arrayContaining(['k', 'k'.repeat(100)]));
    await refused(() => post('/api-keys', { name: 'k'.repeat(101) }), 'VALIDATION_ERROR', 'body.name');
    await refused(() => post('/api-keys', { name: '' }), 'VALIDATION_ERROR', 'body.name');
  });
});

describe('Idempotency-Key: 1 to 255 printable ASCII characters', () => {
  it('replays with a key of 255 characters and of 1 character', async () => {
    for (const key of ['k'.repeat(255), 'z']) {
      const name = uniq('Idem');
      const first = await h.http.post('/api/v1/agents').set(t.auth).set('Idempotency-Key', key).send({ name });
      const created = expectSuccess<Agent>(first, 201);
      const again = await h.http.post('/api/v1/agents').set(t.auth).set('Idempotency-Key', key).send({ name });
      expect(expectSuccess<Agent>(again, 201).id).toBe(created.id);
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
  });

  it('refuses a key of 256 characters with 400 and writes nothing', async () => {
    await refused(
      () => h.http.post('/api/v1/agents').set(t.auth).set('Idempotency-Key', 'k'.repeat(256)).send({ name: 'Idem long' }),
      'BAD_REQUEST',
    );
  });
});

describe('X-Request-Id: 1 to 128 characters', () => {
  it('echoes an id of 128 characters and replaces one of 129', async () => {
    const id = 'r'.repeat(128);
    expect((await get('/me').set('X-Request-Id', id)).headers['x-request-id']).toBe(id);
    const replaced = (await get('/me').set('X-Request-Id', `${id}r`)).headers['x-request-id'];
    expect(replaced).toEqual(expect.any(String));
    expect(replaced).not.toBe(`${id}r`);
  });
});
