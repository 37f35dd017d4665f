import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  hashTriggerToken,
  mintTriggerSecret,
  mintTriggerToken,
  TRIGGER_MESSAGE_CHARS,
  TRIGGER_TOKEN_PREFIX,
  triggerActivity,
  triggerActor,
  triggerMessage,
  triggerName,
  triggerSessionMetadata,
  triggerUrl,
  verifyTriggerSignature,
} from '../../server/domain/triggers.js';
import { asData, thrown } from './thrown.js';

describe('trigger tokens and secrets', () => {
  it('a token is trg_ and 32 random bytes as base64url, hashed with SHA-256 hex', () => {
    const a = mintTriggerToken();
    expect(TRIGGER_TOKEN_PREFIX).toBe('trg_');
    expect(a).toMatch(/^trg_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32);
    expect(mintTriggerToken()).not.toBe(a);
    expect(hashTriggerToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('a secret is whsec_ and 32 random bytes as base64, usable by the standardwebhooks package', () => {
    const s = mintTriggerSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(mintTriggerSecret()).not.toBe(s);
    expect(new Webhook(s).sign('msg_1', new Date(), '{}')).toMatch(/^v1,/);
  });

  it('the URL is the server origin, the API path and the token', () => {
    expect(triggerUrl('https://a.example', 'trg_x')).toBe('https://a.example/api/v1/triggers/trg_x');
  });
});

describe('trigger naming', () => {
  it('a trigger is named by its trimmed description, else "trigger"', () => {
    expect(triggerName({ description: ' Inbox ' })).toBe('Inbox');
    expect(triggerName({ description: '' })).toBe('trigger');
    expect(triggerName({ description: '   ' })).toBe('trigger');
    expect(triggerActor({ id: 't1', description: 'Inbox' })).toEqual({ type: 'trigger', id: 't1', name: 'Inbox' });
  });

  it('a session it starts has relationship trigger and names the trigger', () => {
    expect(triggerSessionMetadata('t1')).toEqual({ relationship: 'trigger', triggerId: 't1' });
  });

  it('its activity rows are about the trigger, in the agent workspace', () => {
    const agent = { id: 'a1', orgId: 'o1', workspaceId: 'w1', name: 'Helper' };
    const actor = { type: 'user' as const, id: 'u1', name: 'Ada' };
    expect(triggerActivity('created', actor, agent, { id: 't1', description: '' })).toEqual({
      kind: 'trigger.created',
      actor,
      subject: { type: 'trigger', id: 't1', name: 'trigger' },
      orgId: 'o1',
      workspaceId: 'w1',
      agentId: 'a1',
      summary: 'Trigger "trigger" of agent "Helper" was created by Ada',
    });
    const revoked = triggerActivity(
      'revoked',
      { type: 'api_key', id: 'k', name: 'ci' },
      { ...agent, workspaceId: null },
      { id: 't1', description: 'Inbox' },
    );
    expect(revoked).toMatchObject({ kind: 'trigger.revoked', workspaceId: null, subject: { name: 'Inbox' } });
    expect(revoked.summary).toBe('Trigger "Inbox" of agent "Helper" was revoked by key "ci"');
  });
});

describe('the body as the message', () => {
  it('a JSON string is the message as it is; any other value compact JSON', () => {
    expect(triggerMessage('hello there')).toBe('hello there');
    expect(triggerMessage('')).toBe('""');
    expect(triggerMessage({ ticket: 4821, subject: 'Printer' })).toBe('{"ticket":4821,"subject":"Printer"}');
    expect(triggerMessage([1, 'a', null])).toBe('[1,"a",null]');
    expect(triggerMessage(42)).toBe('42');
    expect(triggerMessage(null)).toBe('null');
    expect(triggerMessage(false)).toBe('false');
  });

  it('a text of exactly the cap is kept whole; a longer one is cut to the cap and says so', () => {
    const exact = 'a'.repeat(TRIGGER_MESSAGE_CHARS);
    expect(triggerMessage(exact)).toBe(exact);
    expect(TRIGGER_MESSAGE_CHARS).toBe(100_000);
    const long = 'b'.repeat(TRIGGER_MESSAGE_CHARS + 1);
    const cut = triggerMessage(long);
    expect(cut).toHaveLength(TRIGGER_MESSAGE_CHARS);
    expect(cut.endsWith(`\n[truncated: the trigger's body was ${TRIGGER_MESSAGE_CHARS + 1} characters; the first 100000 are shown]`)).toBe(
      true,
    );
    expect(cut.startsWith('bbbb')).toBe(true);
    expect(triggerMessage({ a: 'c'.repeat(TRIGGER_MESSAGE_CHARS) }).startsWith('{"a":"ccc')).toBe(true);
  });
});

describe('signatures', () => {
  const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
  const body = Buffer.from('{"ticket":1}');
  const signed = (at: Date, payload: Buffer | string = body, key = secret) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign('msg_1', at, payload),
  });

  it('accepts a fresh signature over the raw bytes, among several', () => {
    expect(() => verifyTriggerSignature(secret, body, signed(new Date()))).not.toThrow();
    const headers = signed(new Date());
    const other = new Webhook(mintTriggerSecret()).sign('msg_1', new Date(), body);
    headers['webhook-signature'] = `${other} ${headers['webhook-signature']}`;
    expect(() => verifyTriggerSignature(secret, body, headers)).not.toThrow();
    // The bytes are checked as bytes, whatever they hold.
    const text = Buffer.from('plain text, not JSON');
    expect(() => verifyTriggerSignature(secret, text, signed(new Date(), text))).not.toThrow();
    // An empty body has bytes to sign too.
    expect(() => verifyTriggerSignature(secret, Buffer.alloc(0), signed(new Date(), ''))).not.toThrow();
  });

  it('a missing header is a 401 naming the headers', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const headers: Record<string, string | undefined> = signed(new Date());
      delete headers[name];
      expect(asData(thrown(() => verifyTriggerSignature(secret, body, headers)))).toEqual({
        status: 401,
        code: 'UNAUTHORIZED',
        message: 'This trigger verifies signatures: send the webhook-id, webhook-timestamp, webhook-signature headers',
        details: undefined,
      });
      const empty = thrown(() => verifyTriggerSignature(secret, body, { ...signed(new Date()), [name]: '' }));
      expect(empty.message).toBe('This trigger verifies signatures: send the webhook-id, webhook-timestamp, webhook-signature headers');
      expect(thrown(() => verifyTriggerSignature(secret, body, { ...signed(new Date()), [name]: ['a', 'b'] })).code).toBe('UNAUTHORIZED');
    }
  });

  it('another secret, other bytes or a timestamp over 5 minutes away is a 401', () => {
    const bad = (headers: Record<string, string>, bytes = body) => thrown(() => verifyTriggerSignature(secret, bytes, headers));
    const message = "The webhook signature does not match this trigger's secret, or its timestamp is more than 5 minutes from now";
    expect(asData(bad(signed(new Date(), body, mintTriggerSecret())))).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
      message,
      details: undefined,
    });
    expect(bad(signed(new Date()), Buffer.from('{"ticket": 1}')).code).toBe('UNAUTHORIZED');
    expect(bad(signed(new Date(Date.now() - 6 * 60_000))).code).toBe('UNAUTHORIZED');
    expect(bad(signed(new Date(Date.now() + 6 * 60_000))).code).toBe('UNAUTHORIZED');
    expect(() => verifyTriggerSignature(secret, body, signed(new Date(Date.now() - 4 * 60_000)))).not.toThrow();
    expect(bad({ ...signed(new Date()), 'webhook-timestamp': 'soon' }).code).toBe('UNAUTHORIZED');
  });
});
