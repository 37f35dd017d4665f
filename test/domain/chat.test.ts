import { describe, expect, it } from 'vitest';
import {
  buildPrompt,
  chatParties,
  estimateTokens,
  isPaid,
  replyCost,
  retryAfterSeconds,
  type HistoryMessage,
  type Participant,
} from '../../server/domain/chat.js';
import { asData, thrown } from './thrown.js';

const A = '0a0a0a0a-0000-4000-8000-00000000000a';
const B = '0b0b0b0b-0000-4000-8000-00000000000b';
const C = '0c0c0c0c-0000-4000-8000-00000000000c';
const letter: Record<string, string> = { [A]: 'a', [B]: 'b', [C]: 'c' };
const agent = (id: string, over: Partial<Participant> = {}): Participant => ({
  id,
  slug: `agent-${letter[id]}`,
  name: `Agent ${letter[id]!.toUpperCase()}`,
  isActive: true,
  allowedPeerIds: [],
  ...over,
});
const err = (code: string, status: number, message: string, details?: Array<{ path: string; message: string }>) => ({
  status,
  code,
  message,
  details,
});

describe('estimateTokens', () => {
  it('counts 4 characters a token, rounded up, plus 4 per message', () => {
    expect(estimateTokens([])).toBe(0);
    expect(estimateTokens([{ content: '' }])).toBe(4);
    expect(estimateTokens([{ content: 'abcd' }])).toBe(5);
    expect(estimateTokens([{ content: 'abcde' }, { content: 'a' }])).toBe(6 + 5);
  });
});

describe('chatParties', () => {
  const a = agent(A);
  const b = agent(B);
  it('takes the only participant as the answerer, by default, with the user as author', () => {
    expect(chatParties([a], {}, false)).toEqual({ author: null, answerer: a });
  });

  it('names the answerer by UUID (any case) or slug', () => {
    expect(chatParties([a, b], { agentId: B.toUpperCase() }, false).answerer).toBe(b);
    expect(chatParties([a, b], { agentId: 'AGENT-b' }, false).answerer).toBe(b);
  });

  it('needs agentId when more than one agent could answer', () => {
    expect(asData(thrown(() => chatParties([a, b], {}, false)))).toEqual(
      err('BAD_REQUEST', 400, 'This session has several agents: name the one that answers in agentId', [
        { path: 'body.agentId', message: 'required when more than one agent could answer' },
      ]),
    );
    expect(asData(thrown(() => chatParties([], {}, false))).code).toBe('BAD_REQUEST');
  });

  it('refuses an answerer or an author that does not participate, naming the field', () => {
    expect(asData(thrown(() => chatParties([a], { agentId: 'nobody' }, false)))).toEqual(
      err('BAD_REQUEST', 400, 'Agent nobody does not participate in this session', [
        { path: 'body.agentId', message: 'must be a live agent participating in the session' },
      ]),
    );
    expect(asData(thrown(() => chatParties([a], { fromAgentId: C }, true))).details).toEqual([
      { path: 'body.fromAgentId', message: 'must be a live agent participating in the session' },
    ]);
  });

  it('refuses an inactive answerer with 403', () => {
    expect(asData(thrown(() => chatParties([agent(A, { isActive: false })], {}, false)))).toEqual(
      err('FORBIDDEN', 403, 'Agent agent-a is inactive and cannot answer'),
    );
  });

  it('with fromAgentId, lets the author write to a peer in a peer session; the answerer defaults to the other agent', () => {
    const author = agent(A, { allowedPeerIds: [B] });
    expect(chatParties([author, b], { fromAgentId: A }, true)).toEqual({ author, answerer: b });
  });

  it('refuses an author writing outside a peer session, an inactive author, and one writing to a non-peer', () => {
    const author = agent(A, { allowedPeerIds: [B] });
    expect(asData(thrown(() => chatParties([author, b], { fromAgentId: A }, false)))).toEqual(
      err('FORBIDDEN', 403, 'Agents write to each other only in peer sessions (metadata.relationship: peer)'),
    );
    expect(asData(thrown(() => chatParties([agent(A, { isActive: false, allowedPeerIds: [B] }), b], { fromAgentId: A }, true)))).toEqual(
      err('FORBIDDEN', 403, 'Agent agent-a is inactive and cannot post'),
    );
    expect(asData(thrown(() => chatParties([agent(A, { allowedPeerIds: [C] }), b], { fromAgentId: A }, true)))).toEqual(
      err('FORBIDDEN', 403, 'Agent agent-a may not message agent-b: it is not in its allowedPeers'),
    );
  });

  it('refuses an agent answering its own message', () => {
    expect(asData(thrown(() => chatParties([a, b], { fromAgentId: A, agentId: A }, true)))).toEqual(
      err('BAD_REQUEST', 400, 'Agent agent-a cannot answer its own message: name another agent in agentId', [
        { path: 'body.agentId', message: 'must differ from fromAgentId' },
      ]),
    );
  });

  it('needs agentId when the author leaves several possible answerers', () => {
    expect(thrown(() => chatParties([agent(A, { allowedPeerIds: [B, C] }), b, agent(C)], { fromAgentId: A }, true)).code).toBe(
      'BAD_REQUEST',
    );
  });
});

describe('buildPrompt', () => {
  const me = 'me';
  const msg = (content: string, agentId: string | null = null, authorName = 'Ada'): HistoryMessage => ({ agentId, authorName, content });

  it('sends the system prompt, the history oldest first with roles and author labels, then the new message', () => {
    const turns = buildPrompt({
      systemPrompt: 'Be brief.',
      answererId: me,
      // newest first
      history: [msg('second reply', me, 'Me'), msg('a peer said', 'peer', 'Bob'), msg('first question')],
      incoming: msg('new question'),
      contextWindow: 10_000,
    });
    expect(turns).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Ada: first question' },
      { role: 'user', content: 'Bob: a peer said' },
      { role: 'assistant', content: 'second reply' },
      { role: 'user', content: 'Ada: new question' },
    ]);
  });

  it('has no system turn without a system prompt', () => {
    expect(buildPrompt({ systemPrompt: null, answererId: me, history: [], incoming: msg('hi'), contextWindow: 1_000 })).toEqual([
      { role: 'user', content: 'Ada: hi' },
    ]);
  });

  it('keeps the newest messages that fit, leaving a quarter of the window for the answer', () => {
    // Window 400: 100 reserved; the new message "Ada: x" costs 2+4 = 6, leaving 294 for history.
    // Each history message of 396 characters ("Ada: " + 391) costs 99 + 4 = 103: two fit (206), a third does not.
    const long = (tag: string) => msg(tag + 'x'.repeat(391 - tag.length));
    const history = [long('n1'), long('n2'), long('n3'), long('n4')];
    const turns = buildPrompt({ systemPrompt: null, answererId: me, history, incoming: msg('x'), contextWindow: 400 });
    expect(turns.map((t) => t.content.slice(5, 7))).toEqual(['n2', 'n1', 'x']);
  });

  it('keeps a history message that fits exactly', () => {
    // Window 400: 294 tokens left for history; "Ada: " + 1,155 characters costs ceil(1160 / 4) + 4 = 294.
    const exact = msg('y'.repeat((294 - 4) * 4 - 5));
    const turns = buildPrompt({ systemPrompt: null, answererId: me, history: [exact], incoming: msg('x'), contextWindow: 400 });
    expect(turns).toHaveLength(2);
    const over = msg('y'.repeat((294 - 4) * 4 - 4));
    expect(buildPrompt({ systemPrompt: null, answererId: me, history: [over], incoming: msg('x'), contextWindow: 400 })).toHaveLength(1);
  });

  it('reserves at most 4,096 tokens for the answer in a large window', () => {
    // Window 100,000: reserve 4,096 (not 25,000), so a history message of ~90,000 tokens still fits.
    const big = msg('z'.repeat(90_000 * 4));
    expect(buildPrompt({ systemPrompt: null, answererId: me, history: [big], incoming: msg('x'), contextWindow: 100_000 })).toHaveLength(2);
  });

  it('refuses with 422 when the system prompt and the new message alone do not fit', () => {
    const e = thrown(() =>
      buildPrompt({ systemPrompt: 's'.repeat(1_200), answererId: me, history: [], incoming: msg('x'), contextWindow: 400 }),
    );
    expect(asData(e)).toEqual(
      err('VALIDATION_ERROR', 422, "The message and the agent's system prompt do not fit the model's context window", [
        { path: 'body.content', message: 'must fit 400 tokens of context with the system prompt, at 4 characters a token' },
      ]),
    );
    // Exactly filling the 300 tokens left (400 less the reserve of 100) is accepted: ceil(1184 / 4) + 4 = 300.
    const fits = 'a'.repeat((300 - 4) * 4 - 5);
    expect(buildPrompt({ systemPrompt: null, answererId: me, history: [], incoming: msg(fits), contextWindow: 400 })).toHaveLength(1);
    expect(
      thrown(() => buildPrompt({ systemPrompt: null, answererId: me, history: [], incoming: msg(fits + 'a'), contextWindow: 400 })).code,
    ).toBe('VALIDATION_ERROR');
  });
});

describe('prices', () => {
  it('a model is paid when either price is above zero', () => {
    expect(isPaid({ inputCreditMicroPerMTok: 0, outputCreditMicroPerMTok: 0 })).toBe(false);
    expect(isPaid({ inputCreditMicroPerMTok: 1, outputCreditMicroPerMTok: 0 })).toBe(true);
    expect(isPaid({ inputCreditMicroPerMTok: 0, outputCreditMicroPerMTok: 1 })).toBe(true);
  });

  it('costs list price per million tokens, rounded up to a whole creditMicro, exactly for large numbers', () => {
    const grok = { inputCreditMicroPerMTok: 3_000_000, outputCreditMicroPerMTok: 15_000_000 };
    expect(replyCost({ inputTokens: 1_000, outputTokens: 333 }, grok)).toBe(7_995n);
    expect(replyCost({ inputTokens: 0, outputTokens: 0 }, grok)).toBe(0n);
    expect(replyCost({ inputTokens: 1, outputTokens: 0 }, { inputCreditMicroPerMTok: 300_000, outputCreditMicroPerMTok: 0 })).toBe(1n);
    expect(replyCost({ inputTokens: 0, outputTokens: 1 }, { inputCreditMicroPerMTok: 0, outputCreditMicroPerMTok: 1_000_000 })).toBe(1n);
    expect(replyCost({ inputTokens: 0, outputTokens: 2 }, { inputCreditMicroPerMTok: 0, outputCreditMicroPerMTok: 1_000_000 })).toBe(2n);
    expect(
      replyCost({ inputTokens: 1_000_001, outputTokens: 0 }, { inputCreditMicroPerMTok: 1_000_000, outputCreditMicroPerMTok: 0 }),
    ).toBe(1_000_001n);
    expect(
      replyCost({ inputTokens: 100_000_000, outputTokens: 100_000_000 }, { inputCreditMicroPerMTok: 1e9, outputCreditMicroPerMTok: 1e9 }),
    ).toBe(200_000_000_000n);
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it('reads seconds and HTTP dates, at least 1 and at most an hour', () => {
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    expect(retryAfterSeconds('17', now)).toBe(17);
    expect(retryAfterSeconds(' 17 ', now)).toBe(17);
    expect(retryAfterSeconds('0', now)).toBe(1);
    expect(retryAfterSeconds('99999', now)).toBe(3_600);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 10:00:29 GMT', now + 500)).toBe(29);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(1);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds('', now)).toBeUndefined();
    expect(retryAfterSeconds('2.5', now)).toBe(3);
    expect(retryAfterSeconds('-5', now)).toBe(1);
  });
});
