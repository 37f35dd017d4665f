import type { RequestHandler, Response } from 'express';
import { openSecrets, sealSecrets, type IdempotencyStore, type IdempotentRequest } from '../data/idempotency.js';
import { ApiError } from '../errors.js';
import { bearerToken } from '../domain/keys.js';
import type { Logger } from '../logger.js';
import { operationOf } from './operation.js';
import { replayEventStream, type SseEvent } from '../sse.js';

const HEADER = 'idempotency-key';
const VALID_KEY = /^[ -~]{1,255}$/;

/** Runs before the body is read: a malformed Idempotency-Key is a 400 whatever else is wrong. */
export function idempotencyKeyFormat(): RequestHandler {
  return (req, _res, next) => {
    const key = req.headers[HEADER];
    if (req.method !== 'POST' || key === undefined) return next();
    if (typeof key !== 'string' || !VALID_KEY.test(key)) {
      throw new ApiError('BAD_REQUEST', 'Idempotency-Key must be 1 to 255 printable ASCII characters', [
        { path: 'header.idempotency-key', message: 'must be 1 to 255 printable ASCII characters' },
      ]);
    }
    next();
  };
}

/**
 * Runs after validation, right before the handler: reserves the key, or answers with the stored response,
 * or refuses a conflicting reuse. The handler's answer is stored before it is sent, so an acknowledged
 * response is always replayable; a 5xx releases the key instead, so the retry runs again.
 */
export function idempotency(options: { store: IdempotencyStore; logger: Logger }): RequestHandler {
  const { store, logger } = options;
  return async (req, res, next) => {
    const key = req.headers[HEADER];
    // Only where the contract offers the header: elsewhere nothing is stored (a trigger URL's path is its
    // credential, a sign-in's answer is a session).
    if (req.method !== 'POST' || typeof key !== 'string' || !req.caller || !operationOf(req).idempotent) return next();
    // Auth refuses an Idempotency-Key from a dashboard session: the records are per key and sealed with it.
    if (req.caller.keyId === null) throw new Error('Idempotency-Key reached the idempotency plugin without an API key');
    const request: IdempotentRequest = {
      apiKeyId: req.caller.keyId,
      orgId: req.caller.orgId,
      key,
      method: req.method,
      path: req.path,
      body: req.body,
    };
    const reservation = await store.reserve(request);
    switch (reservation.kind) {
      case 'mismatch':
        throw new ApiError(
          'CONFLICT',
          'This Idempotency-Key was already used by this API key for a different request (method, path or body)',
        );
      case 'in-progress':
        throw new ApiError('CONFLICT', 'A request with this Idempotency-Key is still running; retry once it has finished');
      case 'replay': {
        // The record is this key's own, so its seal opens; if it ever did not, nothing is replayed.
        const opened = openSecrets(reservation.body, callerKey(req.headers.authorization), request);
        if (!opened) throw new Error('A stored idempotent answer could not be opened with the key that sealed it');
        res.setHeader('Idempotent-Replayed', 'true');
        if (isStreamRecord(opened.body)) return replayEventStream(res, opened.body.stream);
        res.status(reservation.status).type('application/json').send(JSON.stringify(opened.body));
        return;
      }
    }
    // A streamed answer is stored once it has ended, as its events; a replay sends them again.
    res.locals.recordStream = async (events) => {
      const stored = sealSecrets({ stream: events }, callerKey(req.headers.authorization), request);
      await store
        .complete(request, 200, stored)
        .catch((err: unknown) => logger.error({ err, requestId: req.id }, 'could not store the idempotent stream'));
    };
    captureResponse(res, (status, body, send) => {
      const stored = sealSecrets(body, callerKey(req.headers.authorization), request);
      const settle = status >= 500 ? store.release(request) : store.complete(request, status, stored);
      settle.then(send, (err) => {
        logger.error({ err, requestId: req.id }, 'could not store the idempotent response');
        send();
      });
    });
    next();
  };
}

/** Intercepts the final send of a JSON response, hands over its status and body, and sends on demand. */
function captureResponse(res: Response, onSend: (status: number, body: unknown, send: () => void) => void) {
  const send = res.send.bind(res);
  let captured = false;
  res.send = (payload?: unknown) => {
    if (captured || typeof payload !== 'string') return send(payload);
    captured = true;
    let body: unknown = payload;
    try {
      body = JSON.parse(payload);
    } catch {
      // Not JSON: stored as the raw string.
    }
    onSend(res.statusCode, body, () => send(payload));
    return res;
  };
}

const isStreamRecord = (body: unknown): body is { stream: SseEvent[] } =>
  typeof body === 'object' && body !== null && Array.isArray((body as { stream?: unknown }).stream);

/** The caller's API key, which the auth plugin has already checked; it seals secrets in stored answers. */
const callerKey = (authorization: string | undefined) => bearerToken(authorization) ?? '';
