import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Block, Project } from '../generated/sdk/types.gen.js';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { API, createAgent, createSession } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { ids } from './helpers/lists.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const BLOCK_KEYS = ['content', 'createdAt', 'id', 'position', 'projectId', 'type', 'updatedAt'];

const project = async (t: Tenant, name = 'Canvas'): Promise<Project> =>
  expectSuccess<Project>(await h.http.post(`${API}/projects`).set(t.auth).send({ name }), 201);
const post = (t: Tenant, p: string, body: Record<string, unknown>) => h.http.post(`${API}/projects/${p}/blocks`).set(t.auth).send(body);
const add = async (t: Tenant, p: string, body: Record<string, unknown>): Promise<Block> =>
  expectSuccess<Block>(await post(t, p, body), 201);
const text = (t: Tenant, p: string, s: string, extra: Record<string, unknown> = {}) =>
  add(t, p, { type: 'text', content: { text: s }, ...extra });
const patch = (t: Tenant, p: string, b: string, body: Record<string, unknown>) =>
  h.http.patch(`${API}/projects/${p}/blocks/${b}`).set(t.auth).send(body);
const list = async (t: Tenant, p: string, query = ''): Promise<{ items: Block[]; nextCursor: string | null; hasMore: boolean }> =>
  expectSuccess(await h.http.get(`${API}/projects/${p}/blocks${query}`).set(t.auth));
const texts = async (t: Tenant, p: string) => (await list(t, p)).items.map((b) => b.content.text);

/** Every page of a project's blocks, walked with `limit`. */
async function walk(t: Tenant, p: string, limit: number): Promise<Block[]> {
  const all: Block[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(t, p, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    all.push(...page.items);
    cursor = page.nextCursor;
    expect(page.hasMore).toBe(cursor !== null);
  } while (cursor);
  return all;
}

/** The list is in strictly increasing byte order of positions: the order is total, no position repeats. */
function expectTotalOrder(blocks: Block[]) {
  const positions = blocks.map((b) => b.position);
  expect(new Set(positions).size).toBe(positions.length);
  for (let i = 1; i < positions.length; i++) expect(Buffer.compare(Buffer.from(positions[i - 1]!), Buffer.from(positions[i]!))).toBe(-1);
}

describe('adding and ordering blocks', () => {
  let t: Tenant;
  let p: Project;
  beforeAll(async () => {
    t = await h.tenant();
    p = await project(t);
  });

  it('appends by default, puts null first, and places after a given block', async () => {
    const b = await text(t, p.id, 'b');
    expect(Object.keys(b).sort()).toEqual(BLOCK_KEYS);
    expect(b).toMatchObject({ projectId: p.id, type: 'text', content: { text: 'b' } });
    await text(t, p.id, 'd');
    await text(t, p.slug, 'a', { afterBlockId: null });
    await text(t, p.id, 'c', { afterBlockId: b.id });
    expect(await texts(t, p.id)).toEqual(['a', 'b', 'c', 'd']);
    expectTotalOrder((await list(t, p.id)).items);
  });

  it('moves with afterBlockId, changes content, or both; updatedAt moves', async () => {
    const q = await project(t, 'Moves');
    const [a, b, c] = [await text(t, q.id, 'a'), await text(t, q.id, 'b'), await text(t, q.id, 'c')];
    const moved = expectSuccess<Block>(await patch(t, q.id, a.id, { afterBlockId: c.id }));
    expect(moved.content).toEqual({ text: 'a' });
    expect(await texts(t, q.id)).toEqual(['b', 'c', 'a']);
    expectSuccess(await patch(t, q.id, a.id, { afterBlockId: null }));
    expect(await texts(t, q.id)).toEqual(['a', 'b', 'c']);
    const both = expectSuccess<Block>(
      await patch(t, q.id, c.id, { type: 'heading', content: { text: 'C', level: 2 }, afterBlockId: a.id }),
    );
    expect(both).toMatchObject({ type: 'heading', content: { text: 'C', level: 2 } });
    expect(Date.parse(both.updatedAt)).toBeGreaterThanOrEqual(Date.parse(c.updatedAt));
    expect((await list(t, q.id)).items.map((x) => x.id)).toEqual([a.id, c.id, b.id]);
    const edited = expectSuccess<Block>(await patch(t, q.id, b.id, { content: { text: 'B' } }));
    expect(edited.position).toBe(b.position);
    expect(edited.type).toBe('text');
  });

  it('refuses to move a block after itself or after a block of another project (422), and empty bodies (400)', async () => {
    const q = await project(t, 'Anchors');
    const other = await project(t, 'Elsewhere');
    const a = await text(t, q.id, 'a');
    const foreign = await text(t, other.id, 'x');
    expectInvalid(await patch(t, q.id, a.id, { afterBlockId: a.id }), 'VALIDATION_ERROR', ['body.afterBlockId']);
    expectInvalid(await patch(t, q.id, a.id, { afterBlockId: foreign.id }), 'VALIDATION_ERROR', ['body.afterBlockId']);
    expectInvalid(await post(t, q.id, { type: 'text', content: { text: 'y' }, afterBlockId: foreign.id }), 'VALIDATION_ERROR', [
      'body.afterBlockId',
    ]);
    expectError(await patch(t, q.id, a.id, {}), 'BAD_REQUEST');
    expectError(await patch(t, q.id, foreign.id, { content: { text: 'z' } }), 'NOT_FOUND');
    expectInvalid(await patch(t, q.id, a.id, { type: 'heading' }), 'BAD_REQUEST', ['body.content']);
    expect(await texts(t, q.id)).toEqual(['a']);
  });

  it('keeps a total order under 20 concurrent inserts after one block and concurrent moves', async () => {
    const q = await project(t, 'Race');
    const first = await text(t, q.id, 'first');
    const last = await text(t, q.id, 'last');
    const inserts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(t, q.id, { type: 'text', content: { text: `n${i}` }, afterBlockId: first.id })),
    );
    const made = inserts.map((r) => expectSuccess<Block>(r, 201));
    let blocks = await walk(t, q.id, 7);
    expect(blocks.length).toBe(22);
    expectTotalOrder(blocks);
    expect(blocks[0]!.id).toBe(first.id);
    expect(blocks[21]!.id).toBe(last.id);
    // Ten blocks moved to the front at once, and ten after `last`, concurrently.
    const moves = await Promise.all(made.map((b, i) => patch(t, q.id, b.id, { afterBlockId: i % 2 === 0 ? null : last.id })));
    for (const m of moves) expectSuccess(m);
    blocks = await walk(t, q.id, 5);
    expect(blocks.length).toBe(22);
    expectTotalOrder(blocks);
    const at = (id: string) => blocks.findIndex((b) => b.id === id);
    expect(at(first.id)).toBe(10);
    expect(at(last.id)).toBe(11);
    expect(new Set(ids(blocks)).size).toBe(22);
  });

  it('pages in position order with a keyset cursor, refusing damaged cursors', async () => {
    const q = await project(t, 'Pages');
    for (const s of ['1', '2', '3', '4', '5']) await text(t, q.id, s);
    const page = await list(t, q.id, '?limit=2');
    expect(page.items.map((b) => b.content.text)).toEqual(['1', '2']);
    expect(page.hasMore).toBe(true);
    expect((await walk(t, q.id, 2)).map((b) => b.content.text)).toEqual(['1', '2', '3', '4', '5']);
    for (const bad of [
      'bm9wZQ',
      Buffer.from(JSON.stringify(['a\u0000', '00000000-0000-4000-8000-000000000000'])).toString('base64url'),
      Buffer.from('["a0","x"]').toString('base64url'),
    ]) {
      expectInvalid(await h.http.get(`${API}/projects/${q.id}/blocks?cursor=${bad}`).set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
    }
  });

  it('deletes for good: the block leaves the list, a repeat answers 404', async () => {
    const q = await project(t, 'Deletes');
    const a = await text(t, q.id, 'a');
    await text(t, q.id, 'b');
    expect(expectSuccess(await h.http.delete(`${API}/projects/${q.id}/blocks/${a.id}`).set(t.auth))).toEqual({ deleted: true });
    expectError(await h.http.delete(`${API}/projects/${q.id}/blocks/${a.id}`).set(t.auth), 'NOT_FOUND');
    expectError(await patch(t, q.id, a.id, { content: { text: 'z' } }), 'NOT_FOUND');
    expect(await texts(t, q.id)).toEqual(['b']);
    expect(await h.db.prisma.block.count({ where: { id: a.id } })).toBe(0);
  });

  it('does not move the project updatedAt', async () => {
    const q = await project(t, 'Still');
    await text(t, q.id, 'a');
    const after = expectSuccess<Project>(await h.http.get(`${API}/projects/${q.id}`).set(t.auth));
    expect(after.updatedAt).toBe(q.updatedAt);
  });
});

describe('block content per type', () => {
  let t: Tenant;
  let p: Project;
  beforeAll(async () => {
    t = await h.tenant();
    p = await project(t);
  });

  it('accepts each documented shape', async () => {
    const agent = await createAgent(h, t, { name: 'Helper' });
    const session = await createSession(h, t, { agentIds: [agent.id] });
    const shapes = [
      { type: 'text', content: { text: '' } },
      { type: 'heading', content: { text: 'Goals', level: 6 } },
      { type: 'code', content: { code: 'print(1)', language: 'python' } },
      { type: 'code', content: { code: '' } },
      { type: 'image', content: { url: 'https://example.com/a.png', alt: 'a' } },
      { type: 'image', content: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'agent', content: { agentId: agent.id } },
      { type: 'session', content: { sessionId: session.id } },
    ];
    for (const s of shapes) expect(await add(t, p.id, s)).toMatchObject(s);
  });

  it('answers 400 for a missing field, a wrong JSON type or an unlisted field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'text', content: {} }, 'body.content.text'],
      [{ type: 'text', content: { text: 1 } }, 'body.content.text'],
      [{ type: 'text', content: { text: 'a', level: 1 } }, 'body.content.level'],
      [{ type: 'heading', content: { text: 'a' } }, 'body.content.level'],
      [{ type: 'heading', content: { text: 'a', level: 1.5 } }, 'body.content.level'],
      [{ type: 'code', content: { code: 'x', language: 3 } }, 'body.content.language'],
      [{ type: 'image', content: { alt: 'no url' } }, 'body.content.url'],
      [{ type: 'agent', content: {} }, 'body.content.agentId'],
      [{ type: 'session', content: { sessionId: null } }, 'body.content.sessionId'],
    ];
    for (const [body, path] of cases) expectInvalid(await post(t, p.id, body), 'BAD_REQUEST', [path]);
    expectError(await post(t, p.id, { type: 'video', content: {} }), 'VALIDATION_ERROR');
  });

  it('answers 422 for values out of range', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'heading', content: { text: 'a', level: 0 } }, 'body.content.level'],
      [{ type: 'heading', content: { text: 'a', level: 7 } }, 'body.content.level'],
      [{ type: 'heading', content: { text: '', level: 1 } }, 'body.content.text'],
      [{ type: 'heading', content: { text: 'h'.repeat(501), level: 1 } }, 'body.content.text'],
      [{ type: 'text', content: { text: 't'.repeat(20_001) } }, 'body.content.text'],
      [{ type: 'code', content: { code: 'x', language: 'Py thon' } }, 'body.content.language'],
      [{ type: 'image', content: { url: 'http://example.com/a.png' } }, 'body.content.url'],
      [{ type: 'image', content: { url: 'javascript:alert(1)' } }, 'body.content.url'],
      [{ type: 'image', content: { url: 'data:image/svg+xml;base64,PHN2Zz4=' } }, 'body.content.url'],
      [{ type: 'image', content: { url: `https://example.com/${'a'.repeat(2048)}` } }, 'body.content.url'],
      [{ type: 'agent', content: { agentId: 'ala' } }, 'body.content.agentId'],
    ];
    for (const [body, path] of cases) expectInvalid(await post(t, p.id, body), 'VALIDATION_ERROR', [path]);
  });

  it('caps content at 32 KB and 8 levels', async () => {
    expectInvalid(await post(t, p.id, { type: 'text', content: { text: 'x'.repeat(33 * 1024) } }), 'VALIDATION_ERROR', ['body.content']);
  });

  it('answers 400 for an agent or session the caller cannot see, all alike', async () => {
    const outsider = await h.tenant();
    const theirs = await createAgent(h, outsider, { name: 'Theirs' });
    const theirSession = await createSession(h, outsider, { agentIds: [theirs.id] });
    const gone = await createAgent(h, t, { name: 'Gone' });
    await h.http.delete(`${API}/agents/${gone.id}`).set(t.auth).expect(200);
    for (const agentId of [theirs.id, gone.id, '00000000-0000-4000-8000-000000000000']) {
      expectInvalid(await post(t, p.id, { type: 'agent', content: { agentId } }), 'BAD_REQUEST', ['body.content.agentId']);
    }
    expectInvalid(await post(t, p.id, { type: 'session', content: { sessionId: theirSession.id } }), 'BAD_REQUEST', [
      'body.content.sessionId',
    ]);
    const b = await text(t, p.id, 'plain');
    expectInvalid(await patch(t, p.id, b.id, { type: 'agent', content: { agentId: theirs.id } }), 'BAD_REQUEST', ['body.content.agentId']);
    // A content change is checked against the block's current type.
    expectInvalid(await patch(t, p.id, b.id, { content: { agentId: theirs.id } }), 'BAD_REQUEST', ['body.content.agentId']);
  });
});

describe('block tenancy', () => {
  it('blocks are reachable only through a project the caller can see', async () => {
    const owner = await h.tenant();
    const member = await h.colleague(owner, { role: 'member' });
    const outsider = await h.tenant();
    const p = await project(owner, 'Hidden');
    const b = await text(owner, p.id, 'secret');
    for (const who of [member, outsider]) {
      expectError(await h.http.get(`${API}/projects/${p.id}/blocks`).set(who.auth), 'NOT_FOUND');
      expectError(await post(who, p.id, { type: 'text', content: { text: 'x' } }), 'NOT_FOUND');
      expectError(await patch(who, p.id, b.id, { content: { text: 'x' } }), 'NOT_FOUND');
      expectError(await h.http.delete(`${API}/projects/${p.id}/blocks/${b.id}`).set(who.auth), 'NOT_FOUND');
      // Their own project does not reach another project's block either.
      const own = await project(who, 'Own');
      expectError(await patch(who, own.id, b.id, { content: { text: 'x' } }), 'NOT_FOUND');
      expectError(await h.http.delete(`${API}/projects/${own.id}/blocks/${b.id}`).set(who.auth), 'NOT_FOUND');
    }
    expect(await texts(owner, p.id)).toEqual(['secret']);
    expectSuccess(await h.http.delete(`${API}/projects/${p.id}`).set(owner.auth));
    expectError(await h.http.get(`${API}/projects/${p.id}/blocks`).set(owner.auth), 'NOT_FOUND');
    expectError(await post(owner, p.id, { type: 'text', content: { text: 'x' } }), 'NOT_FOUND');
    expectError(await patch(owner, p.id, b.id, { content: { text: 'x' } }), 'NOT_FOUND');
  });
});
