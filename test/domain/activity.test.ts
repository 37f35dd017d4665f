import { describe, expect, it } from 'vitest';
import { EXCERPT_CHARS, actorPhrase, changeSummary, excerpt } from '../../server/domain/activity.js';

describe('summaries', () => {
  it('name the actor by kind', () => {
    expect(actorPhrase({ type: 'api_key', name: 'ci' })).toBe('key "ci"');
    expect(actorPhrase({ type: 'system', name: 'system' })).toBe('the system');
    expect(actorPhrase({ type: 'user', name: 'Ada' })).toBe('Ada');
    expect(actorPhrase({ type: 'agent', name: 'Scout' })).toBe('Scout');
  });

  it('are one sentence; updates list the changed fields', () => {
    const ci = { type: 'api_key', name: 'ci' } as const;
    expect(changeSummary('Agent', 'Research Assistant', 'created', ci)).toBe('Agent "Research Assistant" was created by key "ci"');
    expect(changeSummary('Project', 'Roadmap', 'updated', ci, ['name', 'slug'])).toBe(
      'Project "Roadmap" was updated (name, slug) by key "ci"',
    );
    expect(changeSummary('Project', 'Roadmap', 'updated', ci)).toBe('Project "Roadmap" was updated by key "ci"');
    expect(changeSummary('Project', 'Roadmap', 'deleted', ci, ['ignored'])).toBe('Project "Roadmap" was deleted by key "ci"');
    expect(changeSummary('API key', 'deploy', 'minted', { type: 'system', name: 'system' })).toBe(
      'API key "deploy" was minted by the system',
    );
  });
});

describe('excerpt', () => {
  it('keeps a short text whole, whitespace collapsed and trimmed', () => {
    expect(excerpt('  Hello\n\n  there\t you ')).toBe('Hello there you');
    expect(excerpt('x'.repeat(EXCERPT_CHARS))).toBe('x'.repeat(EXCERPT_CHARS));
  });

  it('cuts a longer one to 80 characters, the last being …, counting characters rather than UTF-16 units', () => {
    expect(EXCERPT_CHARS).toBe(80);
    expect(excerpt('y'.repeat(81))).toBe(`${'y'.repeat(79)}…`);
    const emoji = '😀'.repeat(100);
    expect([...excerpt(emoji)]).toEqual([...Array(79).fill('😀'), '…']);
  });
});
