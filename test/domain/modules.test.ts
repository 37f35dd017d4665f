import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../server/paths.js';

/**
 * Every domain module loads. The other files import these statically, so a module that throws while
 * loading (a regular expression built from a broken script name, a constant computed at load) fails
 * their whole file before any test runs; here it fails a test, which is what mutation testing counts.
 */
const MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  activity: () => import('../../server/domain/activity.js'),
  'agent-names': () => import('../../server/domain/agent-names.js'),
  agents: () => import('../../server/domain/agents.js'),
  blocks: () => import('../../server/domain/blocks.js'),
  'browser-sessions': () => import('../../server/domain/browser-sessions.js'),
  chat: () => import('../../server/domain/chat.js'),
  'common-passwords': () => import('../../server/domain/common-passwords.js'),
  credits: () => import('../../server/domain/credits.js'),
  'device-login': () => import('../../server/domain/device-login.js'),
  'docs-assistant': () => import('../../server/domain/docs-assistant.js'),
  inquiries: () => import('../../server/domain/inquiries.js'),
  'json-input': () => import('../../server/domain/json-input.js'),
  'json-limits': () => import('../../server/domain/json-limits.js'),
  keys: () => import('../../server/domain/keys.js'),
  members: () => import('../../server/domain/members.js'),
  'mission-control': () => import('../../server/domain/mission-control.js'),
  pagination: () => import('../../server/domain/pagination.js'),
  passwords: () => import('../../server/domain/passwords.js'),
  projects: () => import('../../server/domain/projects.js'),
  sessions: () => import('../../server/domain/sessions.js'),
  'session-participants': () => import('../../server/domain/session-participants.js'),
  'share-links': () => import('../../server/domain/share-links.js'),
  'share-page': () => import('../../server/domain/share-page.js'),
  slugs: () => import('../../server/domain/slugs.js'),
  triggers: () => import('../../server/domain/triggers.js'),
  usage: () => import('../../server/domain/usage.js'),
  voice: () => import('../../server/domain/voice.js'),
  'webhook-schedule': () => import('../../server/domain/webhook-schedule.js'),
  'webhook-urls': () => import('../../server/domain/webhook-urls.js'),
  webhooks: () => import('../../server/domain/webhooks.js'),
  workspaces: () => import('../../server/domain/workspaces.js'),
};

describe('server/domain', () => {
  it('the list holds every module of server/domain', () => {
    const files = readdirSync(fromRoot('server', 'domain')).filter((f) => f.endsWith('.ts'));
    expect(Object.keys(MODULES).sort()).toEqual(files.map((f) => f.replace(/\.ts$/, '')).sort());
  });

  for (const [name, load] of Object.entries(MODULES)) {
    it(`${name}.ts loads`, async () => {
      const module = await load();
      expect(Object.keys(module).length).toBeGreaterThan(0);
    });
  }

  it('agent-names.ts computes the reserved key when it loads', async () => {
    const { reservedKey, isReservedName } = await import('../../server/domain/agent-names.js');
    expect(reservedKey('Ala')).toBe('ala');
    expect(isReservedName('ala')).toBe(true);
  });
});
