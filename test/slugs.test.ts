import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collapseWhitespace, isReservedName, slugify } from '../server/data/slugs.js';
import { startHarness, type Harness } from './helpers/harness.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Seeded so a failure can be replayed; set FC_SEED to explore other inputs.
const seed = Number(process.env.FC_SEED ?? 20261125);

// Names mixing ASCII, accented Latin, other scripts, symbols, whitespace runs and emoji.
const nameChar = fc.oneof(
  fc.constantFrom(...'abcXYZ019 -_.'.split('')),
  fc.constantFrom('é', 'Å', 'ß', 'Ø', 'ł', 'ñ', 'Ç', '日', 'ж', 'ع', '🙂', '\t', '  ', '&', '/', '--', 'ＡＬＡ'),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }).filter((c) => c !== '\0'),
);
const names = fc
  .array(nameChar, { minLength: 1, maxLength: 90 })
  .map((parts) => parts.join(''))
  .filter((n) => collapseWhitespace(n).length >= 1 && collapseWhitespace(n).length <= 255 && !isReservedName(collapseWhitespace(n)));

describe('slugify (property)', () => {
  it('always yields a bounded lowercase ASCII slug that is never ala nor UUID-shaped, and is stable', () => {
    console.log(`slug properties: fast-check seed ${seed}`);
    fc.assert(
      fc.property(fc.oneof(names, fc.uuid().map((u) => u.toUpperCase())), (name) => {
        const slug = slugify(name);
        expect(slug).toMatch(SLUG);
        expect(slug.length).toBeLessThanOrEqual(56);
        expect(UUID.test(slug)).toBe(false);
        expect(slugify(slug)).toBe(slug);
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe('slug generation through the API (property)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('gives every created agent a valid, unique slug other than ala, whatever the name', async () => {
    const t = await h.tenant();
    const seen = new Set<string>(['ala']);
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        const res = await h.http.post('/api/v1/agents').set(t.auth).send({ name });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const { slug } = res.body.data;
        expect(slug).toMatch(SLUG);
        expect(slug.length).toBeLessThanOrEqual(64);
        expect(UUID.test(slug)).toBe(false);
        expect(seen.has(slug)).toBe(false);
        seen.add(slug);
        expect(res.body.data.name).toBe(collapseWhitespace(name));
      }),
      { seed, numRuns: 80 },
    );
    // Shrinking may re-run inputs, so the database, not the loop, is the final word on uniqueness.
    const rows = await h.db.prisma.agent.findMany({ where: { orgId: t.orgId, deletedAt: null }, select: { slug: true } });
    expect(new Set(rows.map((r) => r.slug)).size).toBe(rows.length);
  });
});
