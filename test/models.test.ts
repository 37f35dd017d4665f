import type { Model } from '../generated/sdk/types.gen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectSuccess } from './helpers/envelope.js';
import { MODEL_KEYS } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

describe('GET /api/v1/models', () => {
  it('lists the catalog with grok-3 as the only default', async () => {
    const data = expectSuccess<{ items: Model[] }>(await h.http.get('/api/v1/models').set(t.auth));
    expect(Object.keys(data)).toEqual(['items']);
    expect(data.items.length).toBeGreaterThan(1);
    expect(data.items.filter((m) => m.isDefault).map((m) => m.id)).toEqual(['grok-3']);
    expect(data.items.find((m) => m.id === 'grok-3')).toMatchObject({ provider: 'xai', isDefault: true });
  });

  it('describes every model with id, name, description, provider, availability, context window and integer prices', async () => {
    const { items } = expectSuccess<{ items: Model[] }>(await h.http.get('/api/v1/models').set(t.auth));
    for (const m of items) {
      expect(Object.keys(m).sort()).toEqual(MODEL_KEYS);
      expect(m.id).toMatch(/^\S+$/);
      expect(m.name.length).toBeGreaterThan(0);
      expect(m.description.length).toBeGreaterThan(0);
      expect(m.provider.length).toBeGreaterThan(0);
      expect(Number.isInteger(m.contextWindow) && m.contextWindow > 0).toBe(true);
      expect(Number.isInteger(m.inputCreditMicroPerMTok) && Number.isInteger(m.outputCreditMicroPerMTok)).toBe(true);
      // Every real model carries its provider's list price; only the local stand-in is free.
      if (m.provider !== 'local') expect(Math.min(m.inputCreditMicroPerMTok, m.outputCreditMicroPerMTok), m.id).toBeGreaterThan(0);
    }
    expect(new Set(items.map((m) => m.id)).size).toBe(items.length);
  });

  it('follows DEFAULT_MODEL: gpt-4.1 becomes the default and grok-3 does not', async () => {
    const other = await h.rebuild({ DEFAULT_MODEL: 'gpt-4.1' });
    const { items } = expectSuccess<{ items: Model[] }>(await other.http.get('/api/v1/models').set(t.auth));
    expect(items.filter((m) => m.isDefault).map((m) => m.id)).toEqual(['gpt-4.1']);
    expect(items.find((m) => m.id === 'grok-3')!.isDefault).toBe(false);
  });

  it('refuses to start with a default model that is not in the catalog', async () => {
    await expect(h.rebuild({ DEFAULT_MODEL: 'no-such-model' })).rejects.toThrow(/no-such-model/);
    await expect(h.rebuild({ ALA_MODEL: 'no-such-model' })).rejects.toThrow(/no-such-model/);
  });

  it('needs a key', async () => {
    expectError(await h.http.get('/api/v1/models'), 'UNAUTHORIZED');
  });
});
