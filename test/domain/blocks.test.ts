import { describe, expect, it } from 'vitest';
import {
  BLOCK_SHAPES,
  blockPreview,
  checkBlockContent,
  decodeBlockCursor,
  encodeBlockCursor,
  patchedContent,
  positionBetween,
} from '../../server/domain/blocks.js';
import { asData, thrown } from './thrown.js';

const ID = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

describe('checkBlockContent', () => {
  it('accepts every documented shape and returns the reference an agent or session block makes', () => {
    expect(checkBlockContent('text', { text: '' })).toBeUndefined();
    expect(checkBlockContent('text', { text: 't'.repeat(20_000) })).toBeUndefined();
    expect(checkBlockContent('heading', { text: 'h', level: 1 })).toBeUndefined();
    expect(checkBlockContent('heading', { text: 'h'.repeat(500), level: 6 })).toBeUndefined();
    expect(checkBlockContent('code', { code: '', language: 'c++' })).toBeUndefined();
    expect(checkBlockContent('code', { code: 'x', language: 'l'.repeat(32) })).toBeUndefined();
    expect(checkBlockContent('image', { url: 'https://e.com/a.png', alt: 'a'.repeat(1000) })).toBeUndefined();
    expect(checkBlockContent('image', { url: `https://e.com/${'a'.repeat(2048 - 14)}` })).toBeUndefined();
    expect(checkBlockContent('image', { url: 'data:image/webp;base64,AAAA' })).toBeUndefined();
    expect(checkBlockContent('agent', { agentId: ID.toUpperCase() })).toEqual({ kind: 'agent', id: ID });
    expect(checkBlockContent('session', { sessionId: ID })).toEqual({ kind: 'session', id: ID });
  });

  it('answers 400 for an unlisted field, a missing one or a wrong JSON type, with the exact detail', () => {
    expect(asData(thrown(() => checkBlockContent('text', { text: 'a', extra: 1 })))).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
      message: 'content of a text block: extra is not a field of a text block',
      details: [{ path: 'body.content.extra', message: 'is not a field of a text block' }],
    });
    expect(thrown(() => checkBlockContent('heading', { text: 'a' })).details).toEqual([
      { path: 'body.content.level', message: 'is required' },
    ]);
    expect(thrown(() => checkBlockContent('heading', { text: 'a', level: '1' })).details).toEqual([
      { path: 'body.content.level', message: 'must be an integer' },
    ]);
    expect(thrown(() => checkBlockContent('code', { code: 1 })).details).toEqual([
      { path: 'body.content.code', message: 'must be a string' },
    ]);
    expect(thrown(() => checkBlockContent('code', { code: 'x', language: null })).code).toBe('BAD_REQUEST');
  });

  it('requires exactly the documented fields of each type', () => {
    const required: Array<[Parameters<typeof checkBlockContent>[0], Record<string, unknown>, string]> = [
      ['text', {}, 'text'],
      ['heading', { level: 1 }, 'text'],
      ['heading', { text: 'h' }, 'level'],
      ['code', { language: 'js' }, 'code'],
      ['image', { alt: 'a' }, 'url'],
      ['agent', {}, 'agentId'],
      ['session', {}, 'sessionId'],
    ];
    for (const [type, content, field] of required) {
      expect(asData(thrown(() => checkBlockContent(type, content)))).toEqual({
        status: 400,
        code: 'BAD_REQUEST',
        message: `content of a ${type} block: ${field} is required`,
        details: [{ path: `body.content.${field}`, message: 'is required' }],
      });
    }
    expect(checkBlockContent('code', { code: 'x' })).toBeUndefined();
    expect(checkBlockContent('image', { url: 'https://e.com/a.png' })).toBeUndefined();
  });

  it('answers 422 for values out of range', () => {
    const detail = (type: Parameters<typeof checkBlockContent>[0], content: Record<string, unknown>) => {
      const err = thrown(() => checkBlockContent(type, content));
      expect(err.code).toBe('VALIDATION_ERROR');
      return err.details![0]!;
    };
    expect(detail('heading', { text: 'a', level: 0 })).toEqual({ path: 'body.content.level', message: 'must be 1 to 6' });
    expect(detail('heading', { text: 'a', level: 7 }).message).toBe('must be 1 to 6');
    expect(detail('heading', { text: '', level: 1 })).toEqual({ path: 'body.content.text', message: 'must be 1 to 500 characters' });
    expect(detail('heading', { text: 'h'.repeat(501), level: 1 }).path).toBe('body.content.text');
    expect(detail('text', { text: 't'.repeat(20_001) })).toEqual({ path: 'body.content.text', message: 'must be 0 to 20000 characters' });
    expect(detail('code', { code: 'x', language: '' }).message).toBe('must be 1 to 32 of a-z 0-9 + # . _ -');
    expect(detail('code', { code: 'x', language: 'l'.repeat(33) }).path).toBe('body.content.language');
    expect(detail('image', { url: 'https://e.com/a', alt: 'a'.repeat(1001) }).path).toBe('body.content.alt');
    const urlRule = 'must be an https:// URL of at most 2048 characters or a base64 image data URL';
    expect(detail('image', { url: 'http://e.com/a.png' })).toEqual({ path: 'body.content.url', message: urlRule });
    expect(detail('image', { url: `https://e.com/${'a'.repeat(2048 - 13)}` }).message).toBe(urlRule);
    expect(detail('image', { url: 'https://' }).message).toBe('is not a valid URL');
    expect(detail('image', { url: 'data:image/svg+xml;base64,AAAA' }).message).toBe(urlRule);
    expect(detail('image', { url: 'xdata:image/png;base64,AAAA' }).message).toBe(urlRule);
    expect(detail('image', { url: 'data:image/png;base64,AAAA ' }).message).toBe(urlRule);
    expect(detail('agent', { agentId: 'ala' })).toEqual({ path: 'body.content.agentId', message: 'must be a UUID' });
  });

  it('counts characters by code point', () => {
    expect(checkBlockContent('heading', { text: '😀'.repeat(500), level: 1 })).toBeUndefined();
  });

  it('enforces 32 KB and 8 levels on the whole content', () => {
    expect(thrown(() => checkBlockContent('text', { text: 'x'.repeat(33_000) })).details).toEqual([
      { path: 'body.content', message: 'must be at most 32768 bytes as JSON' },
    ]);
  });

  it('documents a shape for every type', () => {
    expect(Object.keys(BLOCK_SHAPES).sort()).toEqual(['agent', 'code', 'heading', 'image', 'session', 'text']);
  });
});

describe('patchedContent', () => {
  it('keeps the type for content alone, takes type and content together, and needs content with a type', () => {
    expect(patchedContent('text', {})).toBeUndefined();
    expect(patchedContent('text', { content: { text: 'a' } })).toEqual({ type: 'text', content: { text: 'a' } });
    expect(patchedContent('text', { type: 'code', content: { code: 'a' } })).toEqual({ type: 'code', content: { code: 'a' } });
    expect(asData(thrown(() => patchedContent('text', { type: 'code' })))).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
      message: 'Changing a block type needs the content of the new type',
      details: [{ path: 'body.content', message: 'is required when type is sent' }],
    });
  });
});

describe('positionBetween', () => {
  it('makes keys strictly between their neighbours, in byte order', () => {
    const a = positionBetween(null, null);
    const b = positionBetween(a, null);
    const first = positionBetween(null, a);
    const mid = positionBetween(a, b);
    expect([first, a, mid, b]).toEqual([first, a, mid, b].sort());
    expect(new Set([first, a, mid, b]).size).toBe(4);
  });
});

describe('blockPreview', () => {
  it('shows the text of text, heading and code blocks, an image alt, nothing else', () => {
    expect(blockPreview('text', { text: 't' })).toBe('t');
    expect(blockPreview('heading', { text: 'h', level: 1 })).toBe('h');
    expect(blockPreview('code', { code: 'c' })).toBe('c');
    expect(blockPreview('image', { url: 'https://e.com', alt: 'alt' })).toBe('alt');
    expect(blockPreview('image', { url: 'https://e.com' })).toBe('');
    expect(blockPreview('agent', { agentId: ID })).toBe('');
    expect(blockPreview('session', { sessionId: ID })).toBe('');
  });
});

describe('block cursors', () => {
  it('round-trip and refuse anything this API did not issue', () => {
    expect(decodeBlockCursor(undefined)).toBeUndefined();
    const k = { position: 'a0V', id: ID };
    expect(decodeBlockCursor(encodeBlockCursor(k))).toEqual(k);
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '%%%',
      enc(['a0', 'x']),
      enc(['', ID]),
      enc(['a 0', ID]),
      enc([1, ID]),
      enc(['a0', ID, 1]),
      enc({ position: 'a0', id: ID }),
      enc(['a'.repeat(257), ID]),
    ]) {
      expect(asData(thrown(() => decodeBlockCursor(bad)))).toEqual({
        status: 422,
        code: 'VALIDATION_ERROR',
        message: 'The cursor is not valid; pass back a nextCursor exactly as received',
        details: [{ path: 'query.cursor', message: 'is not a cursor this API issued' }],
      });
    }
    expect(decodeBlockCursor(enc(['a'.repeat(256), ID]))).toEqual({ position: 'a'.repeat(256), id: ID });
  });
});
