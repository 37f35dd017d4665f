import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { ATTEMPT_TIMEOUT_MS, errorName, keptBody } from '../domain/webhook-schedule.js';
import type { Target } from '../domain/webhook-urls.js';

/** One HTTP attempt of one delivery: signed, to the address already checked, never following a redirect. */

export const USER_AGENT = 'Alumia-Webhooks/1.0 (+https://alumia.dev)';
/** More than this of an answer is not read: the log keeps 1 KB. */
const READ_LIMIT = 64 * 1024;

export interface SendInput {
  url: URL;
  target: Target;
  /** The delivery's id: the webhook-id header, the same across retries. */
  id: string;
  body: string;
  /** Secrets to sign with (plain, `whsec_…`): one signature each, space-separated. */
  secrets: string[];
  now: Date;
}

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
  retryAfter?: string;
}

/** The standard-webhooks headers of one attempt. */
export function signedHeaders(id: string, body: string, secrets: string[], now: Date): Record<string, string> {
  const signature = secrets.map((s) => new Webhook(s).sign(id, now, body)).join(' ');
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

// Connects to the pinned address whatever the name resolves to now; the URL's host stays in Host and SNI.
const pinned =
  (target: Target): LookupFunction =>
  (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };

export function send(input: SendInput): Promise<SendResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const transport = input.url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: latency() });
    };
    const req = transport.request(input.url, {
      method: 'POST',
      headers: { ...signedHeaders(input.id, input.body, input.secrets, input.now), 'content-length': Buffer.byteLength(input.body) },
      lookup: pinned(input.target),
      agent: false,
    });
    // One deadline for the whole attempt: connect, send, and the answer's body.
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: 'timeout', responseBody: null });
      req.destroy();
    }, ATTEMPT_TIMEOUT_MS);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ statusCode: null, error: errorName(err.code), responseBody: null }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const retryAfter = res.headers['retry-after'];
        finish({
          statusCode: res.statusCode ?? null,
          error: null,
          responseBody: keptBody(Buffer.concat(chunks)),
          ...(retryAfter ? { retryAfter } : {}),
        });
        res.destroy();
      };
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= READ_LIMIT) done();
      });
      res.on('end', done);
      // The status arrived: a connection cut in the body still counts as that answer.
      res.on('error', done);
      res.on('aborted', done);
    });
    req.end(input.body);
  });
}
