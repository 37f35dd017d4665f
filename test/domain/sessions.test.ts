import { describe, expect, it } from 'vitest';
import { excerpt } from '../../server/domain/activity.js';
import { checkAgentMayPost, messageActivity, replyActivity, sessionActivity, sessionName } from '../../server/domain/sessions.js';
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

describe('activity rows of sessions, messages and replies', () => {
  const session = { id: 's1', orgId: 'o1', workspaceId: 'w1', projectId: 'p1', title: 'Notes' };
  const key = { type: 'api_key', id: 'k1', name: 'ci' } as const;

  it('a session change names the session (or "Untitled session"), its first agent, workspace and project', () => {
    expect(sessionActivity('session.created', key, session, 'a1')).toEqual({
      kind: 'session.created',
      actor: key,
      subject: { type: 'session', id: 's1', name: 'Notes' },
      orgId: 'o1',
      workspaceId: 'w1',
      agentId: 'a1',
      projectId: 'p1',
      summary: 'Session "Notes" was created by key "ci"',
    });
    expect(sessionActivity('session.updated', key, { ...session, title: null }, null)).toMatchObject({
      subject: { name: 'Untitled session' },
      agentId: null,
      summary: 'Session "Untitled session" was updated by key "ci"',
    });
    expect(sessionActivity('session.deleted', key, session, null).summary).toBe('Session "Notes" was deleted by key "ci"');
    expect(sessionName(null)).toBe('Untitled session');
  });

  it('a message names itself by an excerpt only, its author agent, and its session in the details', () => {
    const long = `${'word '.repeat(40)}end`;
    expect(messageActivity(key, session, { id: 'm1', agentId: 'a1', content: long }, 'Writer')).toEqual({
      kind: 'message.posted',
      actor: key,
      subject: { type: 'message', id: 'm1', name: excerpt(long) },
      orgId: 'o1',
      workspaceId: 'w1',
      agentId: 'a1',
      projectId: 'p1',
      summary: 'Writer posted a message in session "Notes"',
      details: { sessionId: 's1' },
    });
    expect([...excerpt(long)].length).toBe(80);
  });

  it('a reply is by the agent, with its model, status and usage; an unfinished one says how it ended', () => {
    const reply = {
      id: 'r1',
      content: 'Hi',
      replyTo: 'm1',
      status: 'complete',
      model: 'grok-3',
      inputTokens: 3,
      outputTokens: 5,
      creditMicro: 42n,
    };
    expect(replyActivity(session, { id: 'a1', name: 'Helper' }, reply)).toEqual({
      kind: 'chat.replied',
      actor: { type: 'agent', id: 'a1', name: 'Helper' },
      subject: { type: 'message', id: 'r1', name: 'Hi' },
      orgId: 'o1',
      workspaceId: 'w1',
      agentId: 'a1',
      projectId: 'p1',
      summary: 'Helper replied with grok-3 in session "Notes"',
      details: {
        sessionId: 's1',
        replyTo: 'm1',
        model: 'grok-3',
        status: 'complete',
        usage: { inputTokens: 3, outputTokens: 5, creditMicro: 42 },
      },
    });
    expect(replyActivity(session, { id: 'a1', name: 'Helper' }, { ...reply, status: 'incomplete' }).summary).toBe(
      'Helper replied (incomplete) with grok-3 in session "Notes"',
    );
  });
});
