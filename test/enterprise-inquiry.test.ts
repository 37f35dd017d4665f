import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError, expectInvalid, expectSuccess } from './helpers/envelope.js';
import { API } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness } from './helpers/harness.js';
import { listen, sendChunks } from './helpers/raw-http.js';

/**
 * POST /enterprise-inquiry through HTTP: the field rules at their edges, normalization, the 24-hour
 * update (also under concurrent posts), the honeypot, public access, and what never reaches the logs.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const INQUIRY = `${API}/enterprise-inquiry`;
const DAY_MS = 24 * 60 * 60 * 1000;

type Body = Record<string, unknown> & { email: string };
/** A valid body with a fresh email. */
const valid = (extra: Record<string, unknown> = {}): Body => ({
  name: 'Ada Lovelace',
  email: `${uniq('ada')}@analytical.example`,
  company: 'Analytical Engines',
  teamSize: '11-50',
  ...extra,
});
const post = (body: unknown) => h.http.post(INQUIRY).send(body as object);
const accepted = async (body: unknown) => expect(expectSuccess(await post(body), 202)).toStrictEqual({ received: true });
const rowsOf = (email: string) => h.db.prisma.enterpriseInquiry.findMany({ where: { email }, orderBy: { createdAt: 'asc' } });
const count = () => h.db.prisma.enterpriseInquiry.count();

describe('a valid inquiry', () => {
  it('answers exactly 202 { received: true } without a key and stores the normalized fields', async () => {
    const email = `${uniq('Grace')}@Navy.Example`;
    const res = await post({
      name: '  Grace \t\n Hopper ',
      email: `  ${email.toUpperCase()}  `,
      company: ' US   Navy ',
      teamSize: '1001+',
      message: '\n Line one\n\nLine  two \n',
    });
    expect(res.status).toBe(202);
    expect(res.text).toBe('{"success":true,"data":{"received":true}}');
    const rows = await rowsOf(email.toLowerCase());
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      name: 'Grace Hopper',
      email: email.toLowerCase(),
      company: 'US Navy',
      teamSize: '1001+',
      message: 'Line one\n\nLine  two',
      submissions: 1,
    });
    expect(rows[0]!.updatedAt).toEqual(rows[0]!.createdAt);
    // No organization, workspace or client address is kept.
    expect(Object.keys(rows[0]!).sort()).toEqual(
      ['company', 'createdAt', 'email', 'id', 'message', 'name', 'submissions', 'teamSize', 'updatedAt'].sort(),
    );
  });

  it('accepts a valid key too, and refuses a bad one with 401, storing nothing', async () => {
    const t = await h.tenant();
    const body = valid();
    expectSuccess(await h.http.post(INQUIRY).set(t.auth).send(body), 202);
    expect(await rowsOf(body.email)).toHaveLength(1);
    const bad = valid();
    const refused = await h.http
      .post(INQUIRY)
      .set('Authorization', 'Bearer alm_test_000000000000000000000000000000000000000000000000')
      .send(bad);
    expectError(refused, 'UNAUTHORIZED');
    expectError(await h.http.post(INQUIRY).set('Authorization', 'Basic abc').send(bad), 'UNAUTHORIZED');
    expect(await rowsOf(bad.email)).toHaveLength(0);
  });

  it('honours an Idempotency-Key sent with an API key: the same body replays, another answers 409', async () => {
    const t = await h.tenant();
    const body = valid();
    const send = (b: object) => h.http.post(INQUIRY).set(t.auth).set('Idempotency-Key', 'inquiry-1').send(b);
    expectSuccess(await send(body), 202);
    const replay = await send(body);
    expect(expectSuccess(replay, 202)).toStrictEqual({ received: true });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expectError(await send({ ...body, name: 'Someone else' }), 'CONFLICT');
    expect(await rowsOf(body.email)).toMatchObject([{ name: 'Ada Lovelace', submissions: 1 }]);
  });

  it('accepts every team size range and nothing else (422)', async () => {
    for (const teamSize of ['1-10', '11-50', '51-200', '201-1000', '1001+']) await accepted(valid({ teamSize }));
    for (const teamSize of ['1001', '10', '', '1-10 '])
      expectInvalid(await post(valid({ teamSize })), 'VALIDATION_ERROR', ['body.teamSize']);
  });

  it('stores no message when it is absent, null, empty or only whitespace', async () => {
    for (const message of [undefined, null, '', ' \n\t ']) {
      const body = valid(message === undefined ? {} : { message });
      await accepted(body);
      expect((await rowsOf(body.email))[0]!.message).toBeNull();
    }
  });
});

describe('field bounds (422 beyond them, nothing stored)', () => {
  let before: number;
  beforeEach(async () => {
    before = await count();
  });

  it.each(['name', 'company'])('%s: 1 to 200 characters after trimming and collapsing', async (field) => {
    const at = valid({ [field]: `  ${'a'.repeat(100)}   ${'b'.repeat(99)}  ` });
    await accepted(at);
    expect((await rowsOf(at.email))[0]![field as 'name']).toBe(`${'a'.repeat(100)} ${'b'.repeat(99)}`);
    // Characters, not UTF-16 units: 200 emoji fit.
    await accepted(valid({ [field]: '😀'.repeat(200) }));
    before = await count();
    for (const value of ['x'.repeat(201), '😀'.repeat(201), '', '   \n ', 'Ada\u200bLovelace', 'x'.repeat(1001)]) {
      expectInvalid(await post(valid({ [field]: value })), 'VALIDATION_ERROR', [`body.${field}`]);
    }
    expect(await count()).toBe(before);
  });

  it('email: at most 254 characters, 64 before the @', async () => {
    const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(59)}.example`; // 189 characters
    const local64 = 'l'.repeat(64);
    const at254 = `${local64}@${domain}`;
    expect(at254).toHaveLength(254);
    await accepted(valid({ email: `  ${at254}  ` }));
    expect(await rowsOf(at254)).toHaveLength(1);
    before = await count();
    expectInvalid(await post(valid({ email: `${local64}@${domain}x` })), 'VALIDATION_ERROR', ['body.email']);
    expectInvalid(await post(valid({ email: `${local64}x@example.com` })), 'VALIDATION_ERROR', ['body.email']);
    expect(await count()).toBe(before);
  });

  it.each([
    'plain',
    '',
    '   ',
    '@example.com',
    'ada@',
    'ada@example',
    'ada@example.c',
    'ada..lovelace@example.com',
    '.ada@example.com',
    'ada.@example.com',
    'ada lovelace@example.com',
    'ada@exa mple.com',
    'ada@@example.com',
    'ada@example..com',
    'ada@-example.com',
    'ada@[192.168.0.1]',
    '"ada"@example.com',
    'adà@example.com',
    'ada@exämple.com',
    'ada@example.com, bob@example.com',
    'ada@example.com\nbcc: bob@example.com',
  ])('email: refuses %j', async (email) => {
    expectInvalid(await post(valid({ email })), 'VALIDATION_ERROR', ['body.email']);
    expect(await count()).toBe(before);
  });

  it('email: accepts the common real shapes', async () => {
    for (const local of ['ada', 'ada.lovelace', 'ada+sales', "o'neil", 'ada_l-2', 'A.D.A']) {
      const email = `${local}.${uniq('x')}@sub.example-corp.co.uk`;
      await accepted(valid({ email }));
      expect(await rowsOf(email.toLowerCase())).toHaveLength(1);
    }
  });

  it('message: at most 5,000 characters after trimming', async () => {
    const at = valid({ message: `\n${'m'.repeat(4999)}😀  ` });
    await accepted(at);
    expect((await rowsOf(at.email))[0]!.message).toBe(`${'m'.repeat(4999)}😀`);
    before = await count();
    expectInvalid(await post(valid({ message: 'm'.repeat(5001) })), 'VALIDATION_ERROR', ['body.message']);
    expectInvalid(await post(valid({ message: 'm'.repeat(10001) })), 'VALIDATION_ERROR', ['body.message']);
    expect(await count()).toBe(before);
  });

  it('lists every field out of bounds in one 422', async () => {
    expectInvalid(
      await post({ name: ' ', email: 'nope', company: 'x'.repeat(201), teamSize: '11-50', message: 'm'.repeat(5001) }),
      'VALIDATION_ERROR',
      ['body.name', 'body.email', 'body.company', 'body.message'],
    );
  });

  it('answers 400 for the wrong shape: a missing field, a wrong type, an unknown property, no body', async () => {
    const { email: _, ...noEmail } = valid();
    expectError(await post(noEmail), 'BAD_REQUEST');
    expectInvalid(await post(valid({ name: 5 })), 'BAD_REQUEST', ['body.name']);
    expectInvalid(await post(valid({ website: 7 })), 'BAD_REQUEST', ['body.website']);
    expectInvalid(await post(valid({ phone: '555' })), 'BAD_REQUEST', ['body.phone']);
    expectError(await post(valid({ orgId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' })), 'BAD_REQUEST');
    expectError(await h.http.post(INQUIRY), 'BAD_REQUEST');
    expect(await count()).toBe(before);
  });

  it('refuses a body over 32 KB with 413', async () => {
    expectError(await post(valid({ message: 'm'.repeat(33 * 1024) })), 'PAYLOAD_TOO_LARGE');
    expect(await count()).toBe(before);
  });
});

describe('one email within 24 hours is one inquiry', () => {
  it('updates the earlier inquiry with the latest fields, keeping its message when none is sent', async () => {
    const first = valid({ message: 'First words' });
    await accepted(first);
    const { message: _, ...withoutMessage } = first;
    await accepted({
      ...withoutMessage,
      email: ` ${first.email.toUpperCase()}`,
      name: 'Ada King',
      company: 'Babbage & Co',
      teamSize: '51-200',
    });
    const rows = await rowsOf(first.email);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      name: 'Ada King',
      company: 'Babbage & Co',
      teamSize: '51-200',
      message: 'First words',
      submissions: 2,
    });
    expect(rows[0]!.updatedAt.getTime()).toBeGreaterThan(rows[0]!.createdAt.getTime());
    await accepted({ ...first, message: 'Second words' });
    expect((await rowsOf(first.email))[0]).toMatchObject({ message: 'Second words', submissions: 3 });
  });

  it('counts 24 hours from the first post: a minute before the end it updates, a second after it starts anew', async () => {
    const body = valid();
    await accepted(body);
    const [row] = await rowsOf(body.email);
    await h.db.prisma.enterpriseInquiry.update({ where: { id: row!.id }, data: { createdAt: new Date(Date.now() - DAY_MS + 60_000) } });
    await accepted({ ...body, name: 'Inside' });
    expect(await rowsOf(body.email)).toMatchObject([{ id: row!.id, name: 'Inside', submissions: 2 }]);

    await h.db.prisma.enterpriseInquiry.update({ where: { id: row!.id }, data: { createdAt: new Date(Date.now() - DAY_MS - 1_000) } });
    await accepted({ ...body, name: 'Outside' });
    const rows = await rowsOf(body.email);
    expect(rows).toMatchObject([
      { id: row!.id, name: 'Inside', submissions: 2 },
      { name: 'Outside', submissions: 1 },
    ]);
    // The next post updates the new inquiry, not the expired one.
    await accepted({ ...body, name: 'Again' });
    expect(await rowsOf(body.email)).toMatchObject([
      { id: row!.id, name: 'Inside', submissions: 2 },
      { id: rows[1]!.id, name: 'Again', submissions: 2 },
    ]);
  });

  it('makes 12 concurrent posts with one email (in any case) one inquiry, and other emails their own', async () => {
    const email = `${uniq('burst')}@example.com`;
    const others = Array.from({ length: 4 }, () => valid());
    const results = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => post(valid({ email: i % 2 ? email.toUpperCase() : email, name: `Post ${i}` }))),
      ...others.map(post),
    ]);
    for (const res of results) expectSuccess(res, 202);
    const rows = await rowsOf(email);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.submissions).toBe(12);
    for (const o of others) expect(await rowsOf(o.email)).toMatchObject([{ submissions: 1 }]);
  });
});

describe('timestamps', () => {
  // One clock read per insert: two reads fall either side of a millisecond now and then (about once in
  // a few hundred inserts), which 200 new inquiries catch most of the time.
  it('gives every new inquiry an updatedAt equal to its createdAt', async () => {
    const prefix = uniq('stamp');
    const bodies = Array.from({ length: 200 }, (_, i) => valid({ email: `${prefix}-${i}@example.com` }));
    for (let i = 0; i < bodies.length; i += 20) {
      for (const res of await Promise.all(bodies.slice(i, i + 20).map(post))) expectSuccess(res, 202);
    }
    const rows = await h.db.prisma.enterpriseInquiry.findMany({ where: { email: { startsWith: `${prefix}-` } } });
    expect(rows).toHaveLength(200);
    expect(rows.filter((r) => r.updatedAt.getTime() !== r.createdAt.getTime()).map((r) => r.email)).toEqual([]);
  });
});

describe('the honeypot', () => {
  /** Everything a client sees of an answer but its request id and date. */
  const seen = (res: { status: number; text: string; headers: Record<string, string> }) => {
    const { 'x-request-id': _id, date: _date, ...headers } = res.headers;
    return { status: res.status, text: res.text, headers };
  };

  it('answers a filled website exactly like a real inquiry, and stores nothing', async () => {
    const real = await post(valid());
    const trap = valid({ website: 'https://cheap-pills.example' });
    const before = await count();
    const caught = await post(trap);
    expect(seen(caught)).toStrictEqual(seen(real));
    expect(caught.headers['x-request-id']).not.toBe(real.headers['x-request-id']);
    expect(await count()).toBe(before);
    expect(await rowsOf(trap.email)).toHaveLength(0);
  });

  it('does not update an existing inquiry either', async () => {
    const body = valid();
    await accepted(body);
    await accepted({ ...body, name: 'Bot', website: 'x' });
    expect(await rowsOf(body.email)).toMatchObject([{ name: 'Ada Lovelace', submissions: 1 }]);
  });

  it('refuses an invalid post the same with or without it, so it never gives itself away', async () => {
    const bad = valid({ email: 'not-an-address' });
    const without = await post(bad);
    const withTrap = await post({ ...bad, website: 'https://spam.example' });
    expectInvalid(withTrap, 'VALIDATION_ERROR', ['body.email']);
    const strip = (b: unknown) => ({ ...(b as { error: object }).error, requestId: undefined });
    expect([withTrap.status, strip(withTrap.body)]).toEqual([without.status, strip(without.body)]);
  });

  it('counts a website of only whitespace, null or empty as left empty: the inquiry is stored', async () => {
    for (const website of ['', '  ', null]) {
      const body = valid({ website });
      await accepted(body);
      expect(await rowsOf(body.email)).toHaveLength(1);
    }
  });
});

describe('privacy and transport', () => {
  it('writes no field of the body to the logs, whether the post is stored, refused or caught', async () => {
    const marks = {
      name: `Zephyrine ${uniq('Quasimodo')}`,
      email: `${uniq('xylophone')}@marmalade.example`,
      company: `Obsidian ${uniq('Tortoise')} GmbH`,
      message: `Please call about ${uniq('periwinkle')}`,
    };
    const from = h.logs.length;
    await accepted({ ...marks, teamSize: '201-1000' });
    await accepted({ ...marks, teamSize: '201-1000', website: `https://${uniq('honeypot')}.example` });
    expectError(await post({ ...marks, email: `${uniq('badmail')}@@x`, teamSize: '201-1000' }), 'VALIDATION_ERROR');
    expectError(await post({ ...marks, teamSize: '201-1000', extra: uniq('unknown') }), 'BAD_REQUEST');
    const lines = h.logs.slice(from);
    expect(lines.filter((l) => l.includes('createEnterpriseInquiry')).length).toBeGreaterThanOrEqual(4);
    const text = lines.join('\n').toLowerCase();
    for (const value of [...Object.values(marks), 'marmalade', 'honeypot', 'badmail', 'unknown-', 'quasimodo', 'tortoise', 'periwinkle']) {
      expect(text).not.toContain(value.toLowerCase());
    }
  });

  it('in production, answers a POST without Content-Length with 411 and stores nothing; with one, 202', async () => {
    const prod = await h.rebuild({ NODE_ENV: 'production' });
    const server = await listen(prod.app);
    try {
      const body = JSON.stringify(valid());
      const headers = { 'Content-Type': 'application/json' };
      const before = await count();
      expectError(
        await sendChunks({ port: server.port, path: INQUIRY, headers, chunks: [body.slice(0, 10), body.slice(10)] }),
        'LENGTH_REQUIRED',
      );
      expect(await count()).toBe(before);
      const sized = await sendChunks({
        port: server.port,
        path: INQUIRY,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        chunks: [body],
      });
      expect(expectSuccess(sized, 202)).toStrictEqual({ received: true });
      expect(await count()).toBe(before + 1);
    } finally {
      await server.close();
    }
  });
});
