import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler, type Response } from 'express';
import { DEFAULT_BODY_LIMIT } from '../contract.js';
import { ApiError } from '../errors.js';

/**
 * Enforces the route's body cap before any JSON is parsed: a Content-Length over the cap is refused
 * without reading, and a chunked body is cut off as soon as it streams past the cap.
 */
export function body(options: { requireContentLength: boolean }): RequestHandler {
  const parsers = new Map<number, RequestHandler>();
  const parserFor = (limit: number) => {
    let parser = parsers.get(limit);
    if (!parser) {
      // `type` accepts any JSON media type; the validator rejects bodies that are not JSON at all.
      parser = express.json({ limit, strict: false, type: JSON_TYPES, verify: requireUtf8 });
      parsers.set(limit, parser);
    }
    return parser;
  };
  return (req, res, next) => {
    if (options.requireContentLength && req.method === 'POST' && req.headers['content-length'] === undefined) {
      return next(new ApiError('LENGTH_REQUIRED', 'A POST request needs a Content-Length header'));
    }
    const limit = req.operation?.bodyLimit ?? DEFAULT_BODY_LIMIT;
    if (Number(req.headers['content-length']) > limit) return next(tooLarge(res, limit));
    // Without a JSON body the parser reads nothing, so there is nothing to count.
    if (!req.is(JSON_TYPES)) return parserFor(limit)(req, res, next);
    // body-parser reads the whole body off the wire before it reports any error, a 413 included, so a
    // client streaming without end would never get an answer. Count the bytes here and answer as soon
    // as they pass the cap; body-parser's own limit still bounds a body after decompression.
    let settled = false;
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.pause();
        settle(tooLarge(res, limit));
      }
    };
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      next(err ?? unstorable(req.body));
    };
    req.on('data', count);
    parserFor(limit)(req, res, settle);
  };
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Answers 413 and closes the connection afterwards instead of reading the rest of the body. */
function tooLarge(res: Response, limit: number): ApiError {
  res.setHeader('Connection', 'close');
  return new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes`);
}

/**
 * A body that decodes as UTF-8 must be UTF-8: the decoder would otherwise turn bad bytes into U+FFFD and
 * store something the client never sent.
 */
function requireUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string | null) {
  if ((encoding === null || /^utf-?8$/i.test(encoding)) && !isUtf8(buf)) {
    throw Object.assign(new Error('The body is not valid UTF-8'), { type: 'entity.verify.failed' });
  }
}

/** Deeper than this, a body is refused before anything recursive (serializers, validators) walks it. */
export const MAX_BODY_DEPTH = 64;

/**
 * PostgreSQL text and jsonb cannot hold NUL or an unpaired UTF-16 surrogate (text would silently get
 * U+FFFD, jsonb fails), nor a number past double range, so all are refused at the door rather than failing
 * or changing later; so are prototype keys and a body nested deeper than MAX_BODY_DEPTH. Iterative, so no input can exhaust the stack here.
 */
function unstorable(value: unknown): ApiError | undefined {
  const stack: Array<[unknown, string, number]> = [[value, 'body', 0]];
  while (stack.length > 0) {
    const [node, at, depth] = stack.pop()!;
    if (typeof node === 'string') {
      const bad = badString(node);
      if (bad) return invalidString(at, bad);
    } else if (typeof node === 'number' && !Number.isFinite(node)) {
      // JSON.parse turns 1e400 into Infinity, which JSON and jsonb cannot hold: it would be stored as null.
      return new ApiError('BAD_REQUEST', 'Numbers must be finite: this one is too large for JSON to hold', [
        { path: at, message: 'is a number too large to store' },
      ]);
    } else if (node !== null && typeof node === 'object') {
      if (depth >= MAX_BODY_DEPTH) {
        return new ApiError('BAD_REQUEST', `The body nests deeper than ${MAX_BODY_DEPTH} levels`, [
          { path: at, message: `nests deeper than ${MAX_BODY_DEPTH} levels` },
        ]);
      }
      for (const [key, child] of Object.entries(node)) {
        const bad = badString(key);
        if (bad) return invalidString(at, bad);
        if (isPrototypeKey(key, child)) {
          return new ApiError('BAD_REQUEST', `The key ${key} is not accepted in a body`, [{ path: `${at}.${key}`, message: 'is a reserved key' }]);
        }
        stack.push([child, `${at}.${key}`, depth + 1]);
      }
    }
  }
  return undefined;
}

/**
 * `__proto__` (JSON.parse keeps it as an own key, which spreads, merges and Prisma then drop or choke on)
 * and `constructor.prototype` are the prototype-pollution keys; refused as secure-json-parse does.
 */
const isPrototypeKey = (key: string, value: unknown) =>
  key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype'));

// With the u flag a well-formed pair is one code point, so only unpaired surrogates match.
const LONE_SURROGATE = /\p{Cs}/u;
const badString = (s: string): 'nul' | 'surrogate' | undefined => (s.includes('\0') ? 'nul' : LONE_SURROGATE.test(s) ? 'surrogate' : undefined);

function invalidString(path: string, bad: 'nul' | 'surrogate'): ApiError {
  return bad === 'nul'
    ? new ApiError('BAD_REQUEST', 'Strings may not contain NUL (\\u0000) characters', [{ path, message: 'contains a NUL character' }])
    : new ApiError('BAD_REQUEST', 'Strings may not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)', [
        { path, message: 'contains an unpaired surrogate' },
      ]);
}
