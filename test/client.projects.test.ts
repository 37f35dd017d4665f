// client.projects and client.projects.blocks through the typed client on real HTTP: the project CRUD, the
// list as an async iterator over keyset pages, blocks added, moved and removed in canvas order, sessions in
// a project, and refusals thrown as AlumiaError with the API's code.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlumiaError, createClient, type AlumiaClient, type Block, type Project } from '../client/src/index.js';
import { alumiaError } from './helpers/client-errors.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { listen, type Served } from './helpers/live-http.js';

let h: Harness;
let server: Served;
let t: Tenant;
let client: AlumiaClient;
const clientFor = (who: Tenant) => createClient({ apiKey: who.key, baseUrl: server.url, retries: 0 });
const texts = (blocks: Block[]) => blocks.map((b) => b.content.text);

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
  t = await h.tenant();
  client = clientFor(t);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe('client.projects', () => {
  it('creates, gets (by UUID and slug), updates and deletes a project', async () => {
    const created = await client.projects.create(
      { name: 'Q3 Roadmap', description: 'What we ship.', metadata: { quarter: 'Q3' } },
      { idempotencyKey: randomUUID() },
    );
    expect(created).toMatchObject({ name: 'Q3 Roadmap', slug: 'q3-roadmap', description: 'What we ship.', metadata: { quarter: 'Q3' } });
    expect(created.workspaceId).toBe(t.workspaceId);
    expect(await client.projects.get(created.id)).toEqual(created);
    expect(await client.projects.get('Q3-ROADMAP')).toEqual(created);

    const updated = await client.projects.update('q3-roadmap', { name: 'Q3 Final', slug: 'q3-final', description: null });
    expect(updated).toMatchObject({ id: created.id, name: 'Q3 Final', slug: 'q3-final', description: null });
    expect((await client.projects.get('q3-final')).name).toBe('Q3 Final');

    expect(await client.projects.delete('q3-final')).toEqual({ deleted: true });
    expect(await client.projects.delete(created.id)).toEqual({ deleted: true });
    const gone = await alumiaError(() => client.projects.get(created.id));
    expect(gone).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect((await client.projects.list().toArray()).map((p) => p.id)).not.toContain(created.id);
  });

  it('list() iterates over every page, most recently updated first; listPage() returns one page', async () => {
    const other = await h.tenant();
    const c = clientFor(other);
    const made: Project[] = [];
    for (let i = 0; i < 5; i++) made.push(await c.projects.create({ name: `Paged ${i}` }));
    expect(made.map((p) => p.slug)).toEqual(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
    const seen: Project[] = [];
    for await (const p of c.projects.list({ limit: 2 })) seen.push(p);
    // Every project once, in the order one whole page gives, newest update first.
    expect(seen.map((p) => p.id)).toEqual((await c.projects.listPage({ limit: 100 })).items.map((p) => p.id));
    expect(seen.map((p) => p.name).sort()).toEqual(made.map((p) => p.name));
    expect(seen.map((p) => p.updatedAt)).toEqual(
      seen
        .map((p) => p.updatedAt)
        .sort()
        .reverse(),
    );
    const sizes: number[] = [];
    for await (const page of c.projects.list({ limit: 2 }).pages()) sizes.push(page.items.length);
    expect(sizes).toEqual([2, 2, 1]);
    const first = await c.projects.listPage({ limit: 3 });
    expect(first).toMatchObject({ limit: 3, hasMore: true, nextCursor: expect.any(String) });
    const rest = await c.projects.listPage({ limit: 3, cursor: first.nextCursor! });
    expect([...first.items, ...rest.items].map((p) => p.id)).toEqual(seen.map((p) => p.id));
    expect(rest.hasMore).toBe(false);
  });

  it("another tenant's project is NOT_FOUND (404) for every method", async () => {
    const outsider = clientFor(await h.tenant());
    const p = await client.projects.create({ name: 'Private plans' });
    for (const call of [
      () => outsider.projects.get(p.id),
      () => outsider.projects.update(p.id, { name: 'mine' }),
      () => outsider.projects.delete(p.slug),
      () => outsider.projects.blocks.listPage(p.id),
      () => outsider.projects.blocks.create(p.id, { type: 'text', content: { text: 'x' } }),
    ]) {
      const error = await alumiaError(call);
      expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
      expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await client.projects.get(p.id)).name).toBe('Private plans');
  });

  it('refusals carry the code and the offending field: 422 for a bad name, 409 for a taken slug', async () => {
    const bad = await alumiaError(() => client.projects.create({ name: '   ' }));
    expect(bad).toMatchObject({ code: 'VALIDATION_ERROR', status: 422 });
    expect(bad.details).toEqual([expect.objectContaining({ path: 'body.name' })]);
    await client.projects.create({ name: 'Taken' });
    const mine = await client.projects.create({ name: 'Mine' });
    const taken = await alumiaError(() => client.projects.update(mine.id, { slug: 'taken' }));
    expect(taken.is('CONFLICT')).toBe(true);
  });
});

describe('client.projects.blocks', () => {
  it('adds blocks last, first and after another, moves one and removes one, keeping the order', async () => {
    const p = await client.projects.create({ name: 'Canvas' });
    const b = await client.projects.blocks.create(p.slug, { type: 'text', content: { text: 'b' } }, { idempotencyKey: randomUUID() });
    expect(b).toMatchObject({ projectId: p.id, type: 'text', content: { text: 'b' } });
    const a = await client.projects.blocks.create(p.id, { type: 'text', content: { text: 'a' }, afterBlockId: null });
    const c = await client.projects.blocks.create(p.id, { type: 'text', content: { text: 'c' } });
    await client.projects.blocks.create(p.id, { type: 'heading', content: { text: 'ab', level: 2 }, afterBlockId: a.id });
    expect(texts(await client.projects.blocks.list(p.id).toArray())).toEqual(['a', 'ab', 'b', 'c']);

    const moved = await client.projects.blocks.update(p.id, c.id, { afterBlockId: null });
    expect(moved.id).toBe(c.id);
    expect(moved.position).not.toBe(c.position);
    const changed = await client.projects.blocks.update(p.id, b.id, { content: { text: 'B' } });
    expect(changed.content).toEqual({ text: 'B' });
    expect(texts(await client.projects.blocks.list(p.id).toArray())).toEqual(['c', 'a', 'ab', 'B']);

    expect(await client.projects.blocks.delete(p.id, a.id)).toEqual({ deleted: true });
    const blocks = await client.projects.blocks.list(p.id).toArray();
    expect(texts(blocks)).toEqual(['c', 'ab', 'B']);
    expect(blocks.map((x) => x.position)).toEqual(blocks.map((x) => x.position).sort());
    const gone = await alumiaError(() => client.projects.blocks.update(p.id, a.id, { content: { text: 'again' } }));
    expect(gone.code).toBe('NOT_FOUND');
  });

  it('list() follows the pages of a long canvas in order', async () => {
    const p = await client.projects.create({ name: 'Long canvas' });
    for (let i = 0; i < 7; i++) await client.projects.blocks.create(p.id, { type: 'text', content: { text: `t${i}` } });
    const sizes: number[] = [];
    for await (const page of client.projects.blocks.list(p.id, { limit: 3 }).pages()) sizes.push(page.items.length);
    expect(sizes).toEqual([3, 3, 1]);
    const seen: Block[] = [];
    for await (const block of client.projects.blocks.list(p.id, { limit: 2 })) seen.push(block);
    expect(texts(seen)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    const page = await client.projects.blocks.listPage(p.id, { limit: 4 });
    expect(texts(page.items)).toEqual(['t0', 't1', 't2', 't3']);
    expect(page.hasMore).toBe(true);
  });

  it('bad content is a VALIDATION_ERROR (422) naming the field; a block after itself too', async () => {
    const p = await client.projects.create({ name: 'Strict' });
    const level = await alumiaError(() => client.projects.blocks.create(p.id, { type: 'heading', content: { text: 'x', level: 7 } }));
    expect(level).toBeInstanceOf(AlumiaError);
    expect(level).toMatchObject({ code: 'VALIDATION_ERROR', status: 422 });
    expect(level.details.map((d) => d.path)).toEqual([expect.stringContaining('body.content')]);
    const a = await client.projects.blocks.create(p.id, { type: 'text', content: { text: 'a' } });
    const self = await alumiaError(() => client.projects.blocks.update(p.id, a.id, { afterBlockId: a.id }));
    expect(self).toMatchObject({ code: 'VALIDATION_ERROR', status: 422 });
    expect(self.details).toEqual([expect.objectContaining({ path: 'body.afterBlockId' })]);
    expect(texts(await client.projects.blocks.list(p.id).toArray())).toEqual(['a']);
  });
});

describe('sessions in a project', () => {
  it('sessions.create, update and list take projectId (UUID or slug)', async () => {
    const p = await client.projects.create({ name: 'With sessions' });
    const inside = await client.sessions.create({ agentIds: ['ala'], projectId: p.slug });
    expect(inside.projectId).toBe(p.id);
    const outside = await client.sessions.create({ agentIds: ['ala'] });
    expect(outside.projectId).toBeNull();
    expect((await client.sessions.list({ projectId: p.id }).toArray()).map((s) => s.id)).toEqual([inside.id]);
    expect((await client.sessions.update(outside.id, { projectId: p.id })).projectId).toBe(p.id);
    expect((await client.sessions.update(inside.id, { projectId: null })).projectId).toBeNull();
    expect((await client.sessions.list({ projectId: p.slug }).toArray()).map((s) => s.id)).toEqual([outside.id]);
  });
});
