import { describe, expect, it } from 'vitest';
import { ACTIVITY_KINDS } from '../../server/domain/activity.js';
import { KIND_FILTERS, KIND_PREFIXES, containsPattern, isUuid, kindsMatching } from '../../server/domain/mission-control.js';
import { asData, thrown } from './thrown.js';

describe('kind filters', () => {
  it('are every kind and every subject prefix with .*', () => {
    expect(KIND_PREFIXES).toEqual([
      'agent',
      'session',
      'message',
      'chat',
      'api_key',
      'project',
      'block',
      'credits',
      'org',
      'member',
      'workspace',
      'webhook',
      'trigger',
    ]);
    expect(KIND_FILTERS).toEqual([...ACTIVITY_KINDS, ...KIND_PREFIXES.map((p) => `${p}.*`)]);
  });

  it('an exact kind selects itself; a prefix every kind of its subject, and no other subject sharing its start', () => {
    expect(kindsMatching('agent.created')).toEqual(['agent.created']);
    expect(kindsMatching('agent.*')).toEqual(['agent.created', 'agent.updated', 'agent.deleted']);
    expect(kindsMatching('api_key.*')).toEqual(['api_key.minted', 'api_key.revoked']);
    expect(kindsMatching('chat.*')).toEqual(['chat.replied']);
  });

  it('anything else is a 422 on query.kind', () => {
    for (const bad of ['agent', 'agent.', 'agent*', '*', 'agent.created.*', 'agents.*', 'Agent.created', 'nothing.*']) {
      expect(asData(thrown(() => kindsMatching(bad))), bad).toEqual({
        status: 422,
        code: 'VALIDATION_ERROR',
        message: 'Unknown activity kind',
        details: [{ path: 'query.kind', message: 'must be one of the activity kinds or a prefix such as agent.*' }],
      });
    }
  });
});

describe('search pattern', () => {
  it('matches anywhere and takes %, _ and \\ literally', () => {
    expect(containsPattern('research')).toBe('%research%');
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
    expect(containsPattern('a%b%c')).toBe('%a\\%b\\%c%');
  });
});

describe('isUuid', () => {
  it('accepts a UUID in any case, nothing longer, shorter or around it', () => {
    expect(isUuid('7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f')).toBe(true);
    expect(isUuid('7D9F1C52-8A3E-4B6F-9C1D-2E4A6B8C0D1F')).toBe(true);
    for (const bad of [
      'research',
      '7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1',
      'x7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f',
      '7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1fx',
      '7d9f1c528a3e4b6f9c1d2e4a6b8c0d1f',
    ]) {
      expect(isUuid(bad), bad).toBe(false);
    }
  });
});
