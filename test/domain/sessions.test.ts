import { describe, expect, it } from 'vitest';
import { checkAgentMayPost } from '../../server/domain/sessions.js';
import { asData, thrown } from './thrown.js';

const author = (over: Partial<Parameters<typeof checkAgentMayPost>[0]> = {}) => ({
  id: 'a',
  slug: 'writer',
  isActive: true,
  allowedPeerIds: [] as string[],
  ...over,
});
const forbidden = (message: string) => ({ status: 403, code: 'FORBIDDEN', message, details: undefined });

describe('checkAgentMayPost', () => {
  it('refuses an inactive agent, in any session', () => {
    for (const peer of [false, true]) {
      expect(asData(thrown(() => checkAgentMayPost(author({ isActive: false }), [], peer)))).toEqual(
        forbidden('Agent writer is inactive and cannot post'),
      );
    }
  });

  it('lets an active agent post in a session that is not a peer session, whoever else is there', () => {
    expect(() => checkAgentMayPost(author(), [{ id: 'b', slug: 'other' }], false)).not.toThrow();
  });

  it('in a peer session, lets it post when every other participant is one of its peers', () => {
    expect(() => checkAgentMayPost(author(), [], true)).not.toThrow();
    expect(() => checkAgentMayPost(author(), [{ id: 'a', slug: 'writer' }], true)).not.toThrow();
    expect(() =>
      checkAgentMayPost(
        author({ allowedPeerIds: ['b', 'c'] }),
        [
          { id: 'a', slug: 'writer' },
          { id: 'b', slug: 'bee' },
          { id: 'c', slug: 'sea' },
        ],
        true,
      ),
    ).not.toThrow();
  });

  it('in a peer session, refuses naming every participant that is not a peer, in order', () => {
    const others = [
      { id: 'a', slug: 'writer' },
      { id: 'b', slug: 'bee' },
      { id: 'c', slug: 'sea' },
      { id: 'd', slug: 'dee' },
    ];
    expect(asData(thrown(() => checkAgentMayPost(author({ allowedPeerIds: ['c'] }), others, true)))).toEqual(
      forbidden('Agent writer may not message bee, dee: they are not in its allowedPeers'),
    );
    expect(thrown(() => checkAgentMayPost(author(), [{ id: 'b', slug: 'bee' }], true)).message).toBe(
      'Agent writer may not message bee: they are not in its allowedPeers',
    );
  });
});
