import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';

let h: Harness;
let t: Tenant;
beforeAll(async () => {
  h = await startHarness();
  t = await h.tenant();
});
afterAll(() => h.close());

const keyCount = (orgId: string) => h.db.prisma.apiKey.count({ where: { orgId } });

describe('validation: shape errors are 400 BAD_REQUEST, naming the field', () => {
  it('malformed JSON', async () => {
    const res = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send('{"name":');
    expectInvalid(res, 'BAD_REQUEST', ['body']);
  });

  it('no body, or an empty one, where a body is required', async () => {
    expectError(await h.http.post('/api/v1/api-keys').set(t.auth), 'BAD_REQUEST');
    const empty = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send('');
    expect(expectError(empty, 'BAD_REQUEST').details).toBeDefined();
  });

  it('a body that is not an object', async () => {
    for (const raw of ['null', '[]', '"name"', '42']) {
      const res = await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/json').send(raw);
      expectInvalid(res, 'BAD_REQUEST', ['body']);
    }
  });

  it('a missing required field', async () => {
    expectInvalid(
      await h.http
        .post('/api/v1/api-keys')
        .set(t.auth)
        .send({ scopes: ['*'] }),
      'BAD_REQUEST',
      ['body.name'],
    );
  });

  it('a wrong type, in the body and in the query', async () => {
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 5 }), 'BAD_REQUEST', ['body.name']);
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', scopes: 'agents:read' }), 'BAD_REQUEST', [
      'body.scopes',
    ]);
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', expiresAt: 123 }), 'BAD_REQUEST', ['body.expiresAt']);
    expectInvalid(await h.http.get('/api/v1/api-keys?limit=abc').set(t.auth), 'BAD_REQUEST', ['query.limit']);
  });

  it('unknown properties such as orgId, id and deletedAt are rejected, never applied', async () => {
    const before = await keyCount(t.orgId);
    const res = await h.http
      .post('/api/v1/api-keys')
      .set(t.auth)
      .send({ name: 'sneaky', orgId: randomUUID(), id: randomUUID(), deletedAt: null });
    const error = expectInvalid(res, 'BAD_REQUEST', ['body.orgId', 'body.id', 'body.deletedAt']);
    expect(error.details![0]!.path).toBe('body.orgId');
    for (const field of ['orgId', 'id', 'deletedAt']) {
      const one = await h.http
        .post('/api/v1/api-keys')
        .set(t.auth)
        .send({ name: 'sneaky', [field]: 'x' });
      expectInvalid(one, 'BAD_REQUEST', [`body.${field}`]);
    }
    expect(await keyCount(t.orgId)).toBe(before);
  });

  it('an unknown query parameter', async () => {
    expectInvalid(await h.http.get('/api/v1/api-keys?orgId=x').set(t.auth), 'BAD_REQUEST', ['query.orgId']);
  });

  it('a shape error next to a range error is still 400', async () => {
    const res = await h.http
      .post('/api/v1/api-keys')
      .set(t.auth)
      .send({ name: 'x'.repeat(101), orgId: 'x' });
    expectInvalid(res, 'BAD_REQUEST', ['body.name', 'body.orgId']);
  });

  it('a body that is not JSON at all', async () => {
    expectError(await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'text/plain').send('name=k'), 'BAD_REQUEST');
    expectError(await h.http.post('/api/v1/api-keys').set(t.auth).type('form').send({ name: 'k' }), 'BAD_REQUEST');
    expectError(
      await h.http.post('/api/v1/api-keys').set(t.auth).set('Content-Type', 'application/xml').send('<name>k</name>'),
      'BAD_REQUEST',
    );
  });
});

describe('validation: well-typed values out of range are 422 VALIDATION_ERROR, naming the field', () => {
  it('maxLength on name', async () => {
    const before = await keyCount(t.orgId);
    expectInvalid(
      await h.http
        .post('/api/v1/api-keys')
        .set(t.auth)
        .send({ name: 'x'.repeat(101) }),
      'VALIDATION_ERROR',
      ['body.name'],
    );
    expect(await keyCount(t.orgId)).toBe(before);
  });

  it('minimum and maximum on limit', async () => {
    expectInvalid(await h.http.get('/api/v1/api-keys?limit=0').set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectInvalid(await h.http.get('/api/v1/api-keys?limit=101').set(t.auth), 'VALIDATION_ERROR', ['query.limit']);
    expectSuccess(await h.http.get('/api/v1/api-keys?limit=100').set(t.auth));
    expectSuccess(await h.http.get('/api/v1/api-keys?limit=1').set(t.auth));
  });

  it('enum, minItems and uniqueItems on scopes', async () => {
    expectInvalid(
      await h.http
        .post('/api/v1/api-keys')
        .set(t.auth)
        .send({ name: 'k', scopes: ['root'] }),
      'VALIDATION_ERROR',
      ['body.scopes.0'],
    );
    expectInvalid(await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', scopes: [] }), 'VALIDATION_ERROR', ['body.scopes']);
    const dup = await h.http
      .post('/api/v1/api-keys')
      .set(t.auth)
      .send({ name: 'k', scopes: ['keys:read', 'keys:read'] });
    expectInvalid(dup, 'VALIDATION_ERROR', ['body.scopes']);
  });

  it('format date-time on expiresAt', async () => {
    // Calendar-checked, not just shaped: month 13, February 30 and a leap second that Date cannot hold.
    for (const expiresAt of ['tomorrow', '2030-01-01', '2030-13-01T00:00:00Z', '2030-02-30T00:00:00Z', '2030-06-30T23:59:60Z']) {
      const res = await h.http.post('/api/v1/api-keys').set(t.auth).send({ name: 'k', expiresAt });
      expectInvalid(res, 'VALIDATION_ERROR', ['body.expiresAt']);
    }
  });

  it('format uuid on a path id', async () => {
    expectInvalid(await h.http.get('/api/v1/workspaces/not-a-uuid').set(t.auth), 'VALIDATION_ERROR', ['path.id']);
    expectInvalid(await h.http.delete('/api/v1/api-keys/123').set(t.auth), 'VALIDATION_ERROR', ['path.id']);
  });

  it('pattern and length on a cursor', async () => {
    expectInvalid(await h.http.get('/api/v1/api-keys?cursor=a.b').set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
    expectInvalid(await h.http.get(`/api/v1/api-keys?cursor=${'a'.repeat(513)}`).set(t.auth), 'VALIDATION_ERROR', ['query.cursor']);
  });
});
