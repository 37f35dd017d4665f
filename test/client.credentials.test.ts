import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../client/src/index.js';

// What the client puts on the wire for each way of signing in, seen by a real HTTP server that records the
// request headers. The contract lists two schemes on every operation (bearer key and session cookie).

const seen: IncomingHttpHeaders[] = [];
let url = '';
const server = createServer((req, res) => {
  seen.push(req.headers);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ success: true, data: { items: [] } }));
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('client credentials', () => {
  it('sends the API key as a bearer token only, never as the session cookie', async () => {
    const key = `alm_test_${'ab'.repeat(24)}`;
    await createClient({ apiKey: key, baseUrl: url, retries: 0 }).models.list();
    const headers = seen.at(-1)!;
    expect(headers.authorization).toBe(`Bearer ${key}`);
    expect(headers.cookie).toBeUndefined();
  });

  it('needs no key when the page signs in with its session cookie, and then sends no Authorization', async () => {
    await createClient({ credentials: 'include', baseUrl: url, retries: 0 }).models.list();
    expect(seen.at(-1)!.authorization).toBeUndefined();
  });

  it('still refuses to start with neither a key nor credentials', () => {
    expect(() => createClient({ apiKey: '', baseUrl: url })).toThrow(/no API key/);
  });
});
