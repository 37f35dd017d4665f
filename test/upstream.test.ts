import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { splitText, startUpstream, type Upstream } from './helpers/upstream.js';

// The fake model provider, driven by the real openai package over TCP: what it sends has to be what
// openai (and so the API server) understands as the Chat Completions wire format.

let up: Upstream;
let openai: OpenAI;
const messages = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'hello there' },
];

beforeAll(async () => {
  up = await startUpstream();
  openai = new OpenAI({ apiKey: 'k', baseURL: up.baseURL, maxRetries: 0 });
});
afterAll(() => up.close());
afterEach(() => up.reset());

/** Every content delta of a stream, and the usage it ended with. */
async function drain(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const contents: string[] = [];
  let usage: OpenAI.CompletionUsage | undefined;
  const finishes: string[] = [];
  for await (const c of stream) {
    const choice = c.choices[0];
    if (choice?.delta.content) contents.push(choice.delta.content);
    if (choice?.finish_reason) finishes.push(choice.finish_reason);
    if (c.usage) usage = c.usage;
  }
  return { contents, usage, finishes };
}

describe('replies', () => {
  it('answers a non-streaming create with the echo and usage, and records the request', async () => {
    const r = await openai.chat.completions.create({ model: 'm-1', messages });
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe('m-1');
    expect(r.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Echo: hello there' });
    expect(r.choices[0]?.finish_reason).toBe('stop');
    // 'Be brief.' + 'hello there' = 20 chars → 5; 'Echo: hello there' = 17 chars → 5
    expect(r.usage).toEqual({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });

    expect(up.requests).toHaveLength(1);
    const rec = up.requests[0]!;
    expect(rec).toMatchObject({ method: 'POST', path: '/v1/chat/completions', aborted: false });
    expect(rec.headers.authorization).toBe('Bearer k');
    expect(rec.body).toMatchObject({ model: 'm-1', messages });
    expect(rec.body.stream).toBeFalsy();
  });

  it('streams the given chunks in order, then the usage chunk when asked for', async () => {
    up.enqueue({ kind: 'reply', chunks: ['Hel', 'lo', ' world'], usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true, stream_options: { include_usage: true } });
    const { contents, usage, finishes } = await drain(stream);
    expect(contents).toEqual(['Hel', 'lo', ' world']);
    expect(finishes).toEqual(['stop']);
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(up.requests[0]?.body).toMatchObject({ model: 'm', stream: true, stream_options: { include_usage: true } });
  });

  it('streams the echo in word-kept pieces, and no usage unless asked for', async () => {
    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'one two three four five' }],
      stream: true,
    });
    const { contents, usage } = await drain(stream);
    expect(contents.join('')).toBe('Echo: one two three four five');
    expect(contents.length).toBeGreaterThanOrEqual(2);
    expect(contents.every((c) => !/\S$/.test(c) || c.endsWith('five'))).toBe(true); // cut between words
    expect(usage).toBeUndefined();
  });

  it('splits text on word boundaries into about four pieces', () => {
    expect(splitText('a b')).toEqual(['a ', 'b']);
    expect(splitText('one two three four five six seven eight')).toHaveLength(4);
    expect(splitText('single')).toEqual(['single']);
    expect(splitText('')).toEqual([]);
  });

  it('sends no usage at all when usage is null', async () => {
    up.enqueue({ kind: 'reply', text: 'x', usage: null }, { kind: 'reply', text: 'y', usage: null });
    const r = await openai.chat.completions.create({ model: 'm', messages });
    expect(r.choices[0]?.message.content).toBe('x');
    expect(r.usage).toBeUndefined();
    const s = await openai.chat.completions.create({ model: 'm', messages, stream: true, stream_options: { include_usage: true } });
    const { contents, usage } = await drain(s);
    expect(contents).toEqual(['y']);
    expect(usage).toBeUndefined();
  });

  it('uses the queue first, then the fallback', async () => {
    up.setFallback({ kind: 'reply', text: 'fallback' });
    up.enqueue({ kind: 'reply', text: 'queued' });
    const texts: (string | null | undefined)[] = [];
    for (let i = 0; i < 3; i++) texts.push((await openai.chat.completions.create({ model: 'm', messages })).choices[0]?.message.content);
    expect(texts).toEqual(['queued', 'fallback', 'fallback']);
  });

  it('holds headers back until firstDelayMs, and spaces chunks by gapMs', async () => {
    up.enqueue({ kind: 'reply', chunks: ['a', 'b', 'c'], firstDelayMs: 150, gapMs: 60 });
    const t0 = Date.now();
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140); // create() resolves on headers
    const { contents } = await drain(stream);
    expect(contents).toEqual(['a', 'b', 'c']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140 + 2 * 55);
  });
});

describe('failures', () => {
  it('answers a status with Retry-After, surfacing as OpenAI.APIError', async () => {
    up.enqueue({ kind: 'status', status: 429, retryAfter: '7' });
    const err = await openai.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(429);
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(e.message).toContain('upstream error 429');
  });

  it('passes an OpenAI-style error body through', async () => {
    up.enqueue({
      kind: 'status',
      status: 400,
      body: { error: { message: 'context too long', type: 'invalid_request_error', code: 'context_length_exceeded' } },
    });
    const err = await openai.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded', type: 'invalid_request_error' });
  });

  it('resets the connection: APIConnectionError, not an abort', async () => {
    up.enqueue({ kind: 'reset' });
    const err = await openai.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]?.aborted).toBe(false);
  });

  it('records the abort of a hanging request within a second', async () => {
    up.enqueue({ kind: 'hang' });
    const ac = new AbortController();
    const call = openai.chat.completions.create({ model: 'm', messages }, { signal: ac.signal }).catch((e: unknown) => e);
    await expect.poll(() => up.requests.length).toBe(1);
    const t0 = Date.now();
    ac.abort();
    await up.waitForAborts(1, 1_000);
    expect(up.requests[0]?.aborted).toBe(true);
    expect(up.requests[0]?.abortedAt).toBeGreaterThanOrEqual(t0);
    expect(await call).toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it('records the abort of a request still waiting for its first token', async () => {
    up.enqueue({ kind: 'reply', firstDelayMs: 5_000 });
    const ac = new AbortController();
    const call = openai.chat.completions.create({ model: 'm', messages, stream: true }, { signal: ac.signal }).catch((e: unknown) => e);
    await expect.poll(() => up.requests.length).toBe(1);
    ac.abort();
    await up.waitForAborts(1, 1_000);
    expect(up.requests[0]?.aborted).toBe(true);
    expect(await call).toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it('stops mid-stream with a reset: the first chunks arrive, then iteration throws', async () => {
    up.enqueue({ kind: 'stop-mid-stream', chunks: ['first', ' second'], then: 'reset' });
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true });
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of stream) if (c.choices[0]?.delta.content) got.push(c.choices[0].delta.content);
    })().catch((e: unknown) => e);
    expect(got).toEqual(['first', ' second']);
    expect(err).toBeInstanceOf(Error);
    expect(up.requests[0]?.aborted).toBe(false);
  });

  it('stops mid-stream and hangs: the client leaving is recorded as an abort', async () => {
    up.enqueue({ kind: 'stop-mid-stream', chunks: ['partial'], then: 'hang' });
    const ac = new AbortController();
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true }, { signal: ac.signal });
    const got: string[] = [];
    // openai ends the iteration quietly when its signal aborts
    for await (const c of stream) {
      if (c.choices[0]?.delta.content) got.push(c.choices[0].delta.content);
      if (got.length === 1) ac.abort();
    }
    await up.waitForAborts(1, 1_000);
    expect(got).toEqual(['partial']);
    expect(up.requests[0]?.aborted).toBe(true);
  });

  it('times waitForAborts out when nobody aborts', async () => {
    await openai.chat.completions.create({ model: 'm', messages });
    await expect(up.waitForAborts(1, 100)).rejects.toThrow(/expected 1 aborted requests/);
  });

  it('answers other paths 404 with an OpenAI-style error, unrecorded', async () => {
    const res = await fetch(`${up.baseURL}/models`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(up.requests).toHaveLength(0);
  });
});

describe('lifecycle', () => {
  it('refuses requests without the configured api key with 401', async () => {
    const guarded = await startUpstream({ apiKey: 'secret' });
    try {
      const wrong = new OpenAI({ apiKey: 'nope', baseURL: guarded.baseURL, maxRetries: 0 });
      const err = await wrong.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(err).toMatchObject({ status: 401, code: 'invalid_api_key' });
      const right = new OpenAI({ apiKey: 'secret', baseURL: guarded.baseURL, maxRetries: 0 });
      const r = await right.chat.completions.create({ model: 'm', messages });
      expect(r.choices[0]?.message.content).toBe('Echo: hello there');
      expect(guarded.requests).toHaveLength(2);
    } finally {
      await guarded.close();
    }
  });

  it('reset() clears the queue, the requests and the fallback', async () => {
    up.setFallback({ kind: 'status', status: 500 });
    up.enqueue({ kind: 'hang' });
    await expect(
      openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { timeout: 50 }),
    ).rejects.toThrow();
    up.reset();
    expect(up.requests).toHaveLength(0);
    const r = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(r.choices[0]?.message.content).toBe('Echo: x');
  });

  it('close() ends hanging requests at once, and does not count them as aborts', async () => {
    const other = await startUpstream();
    other.setFallback({ kind: 'hang' });
    const client = new OpenAI({ apiKey: 'k', baseURL: other.baseURL, maxRetries: 0 });
    const calls = [1, 2, 3].map(() => client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e));
    await expect.poll(() => other.requests.length).toBe(3);
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
    for (const e of await Promise.all(calls)) expect(e).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(other.requests.every((r) => !r.aborted)).toBe(true);
  });

  it('serves many concurrent streams', async () => {
    up.setFallback({ kind: 'reply', chunks: ['a', 'b'], gapMs: 5 });
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => drain(await openai.chat.completions.create({ model: `m${i}`, messages, stream: true }))),
    );
    expect(results.every((r) => r.contents.join('') === 'ab')).toBe(true);
    expect(up.requests).toHaveLength(200);
  });
});
