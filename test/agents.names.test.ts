import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers/envelope.js';
import { createAgent } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

// Security finding 6 of issue 9: the reserved name Ala could be spoofed with invisible characters and
// look-alike letters. The rules are unit-tested in test/domain/agent-names.test.ts; these go through HTTP.

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
  await h.http.get('/api/v1/agents').set(t.auth).expect(200); // creates Ala
});
afterAll(() => h.close());

/** Names with an invisible format character: 422, whatever they spell. */
const INVISIBLE: Record<string, string> = {
  'Ala + zero width space': 'Ala\u200b',
  'Ala + soft hyphen': 'Ala\u00ad',
  'Ala + word joiner': 'Ala\u2060',
  'Ala + byte order mark': 'Ala\ufeff',
  'right-to-left override + ala': '\u202eala',
  'left-to-right isolate around Ala': '\u2066Ala\u2069',
  'zero width joiner inside Ala': 'A\u200dla',
  'zero width non-joiner inside a Latin word': 'Bill\u200cing',
  'a Hangul filler alone (a blank name)': '\u3164',
};

/** Names that read as Ala: 400. */
const LOOK_ALIKES: Record<string, string> = {
  'Cyrillic capital A': '\u0410la',
  'Greek capital alphas around a Latin L': '\u0391L\u0391',
  'capital I for l': 'AIa',
  'spaced out': 'A l a',
  fullwidth: '\uff21\uff4c\uff41',
  'mathematical bold': '\u{1d400}\u{1d425}\u{1d41a}',
  'with a variation selector': 'Ala\ufe0f',
};

const ORDINARY = [
  'Alan',
  'Alba',
  'Lala',
  'Ala Moana',
  'Research Assistant',
  'Mimi',
  '\u{1f469}\u200d\u{1f52c} Lab',
  'نامه\u200cها',
  '\u2764\ufe0f Care',
];

const agentCount = () => h.db.prisma.agent.count({ where: { orgId: t.orgId, deletedAt: null } });

describe('agent names on create', () => {
  for (const [label, name] of Object.entries(INVISIBLE)) {
    it(`refuses ${label} with 422 naming the character, and creates nothing`, async () => {
      const before = await agentCount();
      const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name }), 'VALIDATION_ERROR');
      expect(err.details).toEqual([{ path: 'body.name', message: expect.stringMatching(/invisible character U\+[0-9A-F]{4}/) }]);
      expect(await agentCount()).toBe(before);
    });
  }

  for (const [label, name] of Object.entries(LOOK_ALIKES)) {
    it(`refuses the look-alike ${label} with 400 as reserved, and creates nothing`, async () => {
      const before = await agentCount();
      const err = expectError(await h.http.post('/api/v1/agents').set(t.auth).send({ name }), 'BAD_REQUEST');
      expect(err.details).toEqual([{ path: 'body.name', message: expect.stringContaining('reserved') }]);
      expect(await agentCount()).toBe(before);
    });
  }

  it('accepts ordinary names, emoji ZWJ sequences and Persian ZWNJ, storing exactly what was sent', async () => {
    for (const name of ORDINARY) {
      const agent = await createAgent(h, t, { name: `  ${name} ` });
      expect(agent.name).toBe(name);
      expect((await h.http.get(`/api/v1/agents/${agent.id}`).set(t.auth).expect(200)).body.data.name).toBe(name);
    }
  });
});

describe('agent names on PATCH', () => {
  // A fresh agent per case, so one wrongly accepted rename cannot fail the cases after it.
  const renamable = () => createAgent(h, t, { name: 'Renamable' });
  const expectUnchanged = async (agent: Record<string, any>) => {
    expect((await h.http.get(`/api/v1/agents/${agent.id}`).set(t.auth).expect(200)).body.data).toEqual(agent);
  };

  for (const [label, name] of Object.entries(INVISIBLE)) {
    it(`refuses renaming to ${label} with 422, and changes nothing`, async () => {
      const agent = await renamable();
      const err = expectError(
        await h.http.patch(`/api/v1/agents/${agent.id}`).set(t.auth).send({ name, description: 'changed' }),
        'VALIDATION_ERROR',
      );
      expect(err.details?.[0]?.path).toBe('body.name');
      await expectUnchanged(agent);
    });
  }

  for (const [label, name] of Object.entries(LOOK_ALIKES)) {
    it(`refuses renaming to the look-alike ${label} with 400, and changes nothing`, async () => {
      const agent = await renamable();
      const err = expectError(
        await h.http.patch(`/api/v1/agents/${agent.id}`).set(t.auth).send({ name, description: 'changed' }),
        'BAD_REQUEST',
      );
      expect(err.details?.[0]?.path).toBe('body.name');
      await expectUnchanged(agent);
    });
  }

  it('accepts renaming to ordinary names', async () => {
    const other = await renamable();
    for (const name of ORDINARY) {
      const res = await h.http.patch(`/api/v1/agents/${other.id}`).set(t.auth).send({ name }).expect(200);
      expect(res.body.data.name).toBe(name);
    }
  });

  it('lets Ala keep its own name but not gain an invisible character', async () => {
    await h.http.patch('/api/v1/agents/ala').set(t.auth).send({ name: 'Ala' }).expect(200);
    const before = (await h.http.get('/api/v1/agents/ala').set(t.auth).expect(200)).body.data;
    expectError(await h.http.patch('/api/v1/agents/ala').set(t.auth).send({ name: 'Ala\u200b' }), 'VALIDATION_ERROR');
    expect((await h.http.get('/api/v1/agents/ala').set(t.auth).expect(200)).body.data).toEqual(before);
  });
});
