import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../generated/sdk/types.gen.js';
import { hashKey } from '../server/domain/keys.js';
import { fromRoot } from '../server/paths.js';
import {
  arbitraryFor,
  materialize,
  operations,
  PoolRef,
  responseErrors,
  smallJson,
  type Hint,
  type Method,
  type Operation,
  type Schema,
} from './helpers/contract-walk.js';
import { changedTables, fingerprint, fingerprintQuery, tableNames, type Fingerprint } from './helpers/db-state.js';
import { STATUS_OF_CODE } from './helpers/envelope.js';
import { givePassword, signIn } from './helpers/browser-session.js';
import { SERVER_OWNED } from './helpers/fixtures.js';
import { startHarness, type Harness, type Tenant } from './helpers/harness.js';
import { httpClient, type HttpClient, type RawAnswer, type RawRequest } from './helpers/http-client.js';
import { listen } from './helpers/raw-http.js';

/**
 * Contract-driven fuzzing. Every operation of generated/openapi.json gets requests generated from its
 * schemas: valid ones (which may still be refused for reasons the schema cannot express, such as an
 * unknown agent) and hostile ones (wrong types, huge strings, deep nesting, unicode edge cases, NUL,
 * numbers as strings, duplicate JSON keys, __proto__/constructor/prototype keys, invalid UTF-8, bad
 * cursors, SQL and path metacharacters in ids). Every answer must be: below 500; in the envelope; a
 * status the contract declares for the operation (or 401/404); an error code that matches its status;
 * a body that matches the contract's schema for that status; and, for every refusal and every GET, the
 * database unchanged. The in-process server's Object.prototype must stay clean.
 *
 * Seeded and reproducible: the seed is printed; FUZZ_SEED=<seed> replays the same request sequence and
 * FUZZ_RUNS=<n> raises the count (default 2,000).
 */

// A fixed default keeps CI deterministic; FUZZ_SEED=$RANDOM explores other sequences.
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261125;
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 2000;
console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} (re-run with these to replay the same requests)`);

const OPS = operations();
const MODEL_IDS: string[] = JSON.parse(readFileSync(fromRoot('server', 'data', 'models.json'), 'utf8')).map((m: { id: string }) => m.id);

type AuthKind = 'owner' | 'member' | 'foreign' | 'scoped' | 'none' | 'malformed' | 'revoked' | 'expired' | 'live' | 'unknown';
type PathValue = PoolRef | { text: string; raw?: boolean };
type BodySpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; bytes: Buffer | string; contentType?: string | null; headers?: Record<string, string> }
  | { kind: 'none' };

interface FuzzCase {
  op: Operation;
  label: string;
  method: Method | 'options';
  pathParams: Record<string, PathValue>;
  /** Query pairs already encoded, or a pair naming a pool row (resolved when the request is built). */
  query: Array<string | { name: string; ref: PoolRef }>;
  headers: Record<string, string>;
  auth: AuthKind;
  body: BodySpec;
}

// ---------------------------------------------------------------------------------------------------
// Generators

const poolKind = (op: Operation, param: string) =>
  param === 'blockId'
    ? 'block'
    : param === 'deliveryId' || param === 'triggerId'
      ? param.replace('Id', '')
      : op.path.startsWith('/webhooks') || op.path.startsWith('/activity')
        ? op.path.split('/')[1]!
        : op.path.startsWith('/agents')
          ? 'agent'
          : op.path.startsWith('/sessions')
            ? 'session'
            : op.path.startsWith('/api-keys')
              ? 'apiKey'
              : op.path.startsWith('/projects')
                ? 'project'
                : 'workspace';

/** A row of the pool `kind`: mostly one the owner can see (`own<Kind>`), sometimes any row of any tenant. */
const refArb = (kind: string) =>
  fc
    .tuple(fc.nat(1_000), fc.constantFrom<PoolRef['form']>('id', 'id', 'slug', 'upper'), fc.nat(9))
    .map(([i, form, dice]) => new PoolRef(dice < 7 ? `own:${kind}` : kind, i, form));

const encodeCursor = (at: Date, id: string) => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');

const hint: Hint = (path, schema) => {
  const key = path.join('.');
  if (key === 'model')
    return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...MODEL_IDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
  if (key === 'agentIds') {
    const item = fc.oneof({ weight: 9, arbitrary: refArb('agent') }, { weight: 1, arbitrary: fc.constantFrom('ala', 'ALA', 'nobody') });
    return fc.uniqueArray(item, { minLength: 1, maxLength: 3, selector: (v) => JSON.stringify(v) });
  }
  if (key === 'agentId' || key === 'content.agentId') return refArb('agent');
  if (key === 'content.sessionId') return refArb('session');
  if (key === 'projectId') return fc.oneof({ weight: 9, arbitrary: refArb('project') }, { weight: 1, arbitrary: fc.constant(null) });
  if (key === 'afterBlockId') return fc.oneof({ weight: 8, arbitrary: refArb('block') }, { weight: 2, arbitrary: fc.constant(null) });
  if (key === 'allowedPeers') {
    return fc.uniqueArray(
      fc.oneof(
        fc.nat(1_000).map((i) => new PoolRef('own:agent', i, 'slug')),
        fc.constant('ala'),
      ),
      { maxLength: 2, selector: (v) => JSON.stringify(v) },
    );
  }
  if (key === 'expiresAt') {
    return fc.oneof(
      fc.constant(null),
      fc.integer({ min: 60_000, max: 10 * 365 * 86_400_000 }).map((ms) => new Date(Date.now() + ms).toISOString()),
    );
  }
  if (key === 'settings.voice.provider') return fc.constantFrom('openai', 'ElevenLabs', ' azure ', 'google');
  if (key === 'settings.voice.language') return fc.constantFrom('en', 'en-US', 'pt-br', 'de_de', 'fil');
  if (key === 'settings.voice.voiceId') return fc.constantFrom('alloy', ' rachel ', 'v-1');
  if (key === 'settings.voice.speed') return fc.double({ min: 0.25, max: 4, noNaN: true });
  if (key === 'settings.voice.pitch') return fc.double({ min: -12, max: 12, noNaN: true });
  if (key === 'cursor') {
    return fc.oneof(
      fc
        .tuple(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), fc.uuid({ version: 4 }))
        .map(([d, id]) => encodeCursor(d, id)),
      fc.stringMatching(new RegExp(schema.pattern), { size: 'small' }).filter((s) => s.length >= 1 && s.length <= 512),
    );
  }
  return undefined;
};

const AUTH_ARB: fc.Arbitrary<AuthKind> = fc.oneof(
  { weight: 40, arbitrary: fc.constant<AuthKind>('owner') },
  { weight: 3, arbitrary: fc.constant<AuthKind>('member') },
  { weight: 3, arbitrary: fc.constant<AuthKind>('foreign') },
  { weight: 2, arbitrary: fc.constant<AuthKind>('scoped') },
  { weight: 1, arbitrary: fc.constantFrom<AuthKind>('none', 'malformed', 'revoked', 'expired', 'live', 'unknown') },
);

const IDEMPOTENCY_ARB = fc.option(
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom('fuzz-1', 'fuzz-2', 'fuzz-3') },
    { weight: 4, arbitrary: fc.stringMatching(/^[ -~]{1,40}$/).map((s) => `f-${s}`) },
  ),
  { freq: 4 },
);

/** A request the schemas allow. */
function validCase(op: Operation): fc.Arbitrary<FuzzCase> {
  const pathArbs: Record<string, fc.Arbitrary<PathValue>> = {};
  for (const p of op.params.filter((p) => p.in === 'path')) {
    pathArbs[p.name] = fc.oneof(
      { weight: 7, arbitrary: refArb(poolKind(op, p.name)) },
      { weight: 2, arbitrary: arbitraryFor(p.schema, hint).map((v) => ({ text: String(v) })) },
      { weight: 1, arbitrary: fc.uuid({ version: 4 }).map((text) => ({ text })) },
    );
  }
  const queryArbs = op.params
    .filter((p) => p.in === 'query')
    .map((p) =>
      fc.option(
        arbitraryFor(p.schema, hint, [p.name]).map((v) =>
          v instanceof PoolRef ? { name: p.name, ref: v } : `${encodeURIComponent(p.name)}=${encodeURIComponent(String(v))}`,
        ),
        { freq: 2 },
      ),
    );
  // Browser-only fields are valid JSON but always refused to an API key: mostly leave them out.
  const bodyArb: fc.Arbitrary<BodySpec> = op.body
    ? fc.tuple(arbitraryFor(op.body.schema, hint), fc.nat(9)).map(([value, dice]) => {
        if (dice > 0 && value && typeof value === 'object')
          for (const f of op.browserOnlyFields) delete (value as Record<string, unknown>)[f];
        return { kind: 'json' as const, value };
      })
    : fc.constant({ kind: 'none' as const });
  const idemArb = op.method === 'post' ? IDEMPOTENCY_ARB : fc.constant(null);
  return fc
    .record({ path: fc.record(pathArbs), query: fc.tuple(...queryArbs), auth: AUTH_ARB, body: bodyArb, idem: idemArb })
    .map(({ path, query, auth, body, idem }): FuzzCase => ({
      op,
      label: 'valid',
      method: op.method,
      pathParams: path,
      query: query.filter((q) => q !== null),
      headers: idem === null ? {} : { 'idempotency-key': idem },
      auth,
      body,
    }));
}

const HOSTILE_IDS = [
  "' OR 1=1--",
  "1' OR '1'='1",
  '1;DROP TABLE "Agent";--',
  '; DROP TABLE agents',
  '../',
  '../../etc/passwd',
  '..',
  '.',
  '%00',
  '%2e%2e%2f',
  'a\u0000b',
  '*',
  '%',
  '\\',
  'null',
  'undefined',
  'NaN',
  '0',
  '-1',
  '[]',
  '{}',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  'ＡＬＡ',
  'ala\u200b',
  'ALA',
  'Ala',
  'a'.repeat(65),
  'a'.repeat(5000),
  '\u202eala',
  '7D9F1C52-8A3E-4B6F-9C1D-2E4A6B8C0D1F',
  '7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f ',
  '{7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f}',
  '7d9f1c528a3e4b6f9c1d2e4a6b8c0d1f',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'ala/peers',
  'ala?x=1',
  'ala#frag',
  '😀',
  'مرحبا',
];
/** Sent as is on the wire (each is a legal request-target), so the server does the decoding. */
const RAW_IDS = [
  '..',
  '.',
  '%00',
  '%2e%2e%2f',
  'a%00b',
  '%',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '..%2F..%2Fme',
  'ala/../..',
  '..;',
  '%2F',
  '%5C',
  '%25',
  "'%20OR%201=1--",
  'ala%3B%20DROP%20TABLE%20x',
];

const EDGE_STRINGS = [
  '\ud800',
  'x\udc00',
  '\udbff\udbff',
  'a\u202eb',
  '\u200b\u200c\u200d',
  '\ufeffname',
  '\u0000',
  'x\u0000',
  'x\u0001\u001fy',
  '\u2028\u2029',
  'e\u0301\u0301\u0301',
  '\uffff',
  '\u{10ffff}',
  '🏳️‍🌈',
  'مرحبا بالعالم',
  '\u061cabc',
  '   ',
  '\t\n\r',
  'ﷺ'.repeat(50),
  'Ala',
  ' a l a ',
  'ＡＬＡ',
  '0',
  '-1',
  'true',
  'null',
  '{}',
  '\'; DROP TABLE "Agent";--',
  '../../',
  '%00',
];

const DEEP_DEPTHS = [9, 30, 63, 64, 65, 500, 20_000];
const nest = (depth: number, asArray: boolean): string =>
  asArray ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

const PROTO_KEYS = [
  '"__proto__":{"polluted":"yes","isDefault":true}',
  '"constructor":{"prototype":{"polluted":"yes"}}',
  '"prototype":{"polluted":"yes"}',
  '"__proto__":null',
  '"__proto__":[1,2]',
];

/** The server-owned fields, and secrets and roles the server never takes from a body. */
const MASS_FIELDS = [...SERVER_OWNED, 'key', 'env', 'role'];

const NOT_JSON = [
  '',
  ' ',
  '{',
  '{"name":',
  '{"name":"x"',
  '{"name":"x"}}',
  '{"name":"x"} trailing',
  "{'name':'x'}",
  'NaN',
  '{"name":NaN}',
  '{"name":Infinity}',
  'null',
  '[]',
  '"str"',
  '42',
  'true',
  '{"name":"x",}',
  '\ufeff{"name":"x"}',
  '/*c*/{}',
  '{"name":"\\x41"}',
  '{"name":"\\u12"}',
  '{"name":"\\ud800"}',
  '{"content":"\\u0000"}',
  '{"name":"x"}\u0000',
  '{"a":1e999999}',
  `{"a":${'9'.repeat(400)}}`,
  '{"name":"x","name":"y"}',
];

const INVALID_UTF8: number[][] = [
  [0xff],
  [0xc0, 0xaf],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xf4, 0x90, 0x80, 0x80],
];

const injectKey = (objText: string, member: string) => (objText === '{}' ? `{${member}}` : `{${member},${objText.slice(1)}`);
const SENTINEL = '"__fuzz_sentinel__"';

/** The body's JSON text with `replacement` put where the value at top-level `field` was. */
function bodyTextWith(value: Record<string, unknown>, field: string, replacement: string): string {
  return JSON.stringify({ ...value, [field]: '__fuzz_sentinel__' }).replace(SENTINEL, replacement);
}

const asObject = (body: BodySpec): Record<string, unknown> | undefined =>
  body.kind === 'json' && body.value !== null && typeof body.value === 'object' && !Array.isArray(body.value)
    ? (body.value as Record<string, unknown>)
    : undefined;

/** Property names of the body schema with their schemas (top level). */
const bodyProps = (op: Operation): Array<[string, Schema]> => Object.entries<Schema>(op.body?.schema.properties ?? {});

function hostileCase(op: Operation): fc.Arbitrary<FuzzCase> {
  const base = validCase(op);
  const props = bodyProps(op);
  const stringProps = props.filter(([, s]) => s.type === 'string' || (Array.isArray(s.type) && s.type.includes('string')));
  const mutations: Array<fc.Arbitrary<FuzzCase>> = [];
  // Body attacks are the richest: where there is a body they get three times the weight of the others.
  const bodyMutations: Array<fc.Arbitrary<FuzzCase>> = [];
  const withBody = (c: FuzzCase, label: string, body: BodySpec): FuzzCase => ({ ...c, label, body });

  // Path ids: SQL and path metacharacters, encodings, case, lengths.
  if (op.params.some((p) => p.in === 'path')) {
    mutations.push(
      fc.tuple(base, fc.constantFrom(...HOSTILE_IDS)).map(([c, text]) => ({ ...c, label: 'hostile-id', pathParams: { id: { text } } })),
      fc.tuple(base, fc.constantFrom(...RAW_IDS)).map(([c, text]) => ({ ...c, label: 'raw-id', pathParams: { id: { text, raw: true } } })),
    );
  }
  // Query strings: wrong types, numbers in odd spellings, bad cursors, unknown and repeated parameters.
  const hasLimit = op.params.some((p) => p.name === 'limit');
  const hasCursor = op.params.some((p) => p.name === 'cursor');
  const badQueries = [
    'orgId=00000000-0000-4000-8000-000000000000',
    '__proto__%5Bpolluted%5D=yes',
    'constructor%5Bprototype%5D%5Bpolluted%5D=yes',
    'x=%00',
    ...(hasLimit
      ? [
          'limit=abc',
          'limit=1.5',
          'limit=-1',
          'limit=0',
          'limit=101',
          'limit=1e999',
          'limit=Infinity',
          'limit=-Infinity',
          'limit=',
          'limit=%00',
          'limit=1&limit=2',
          'limit%5B%5D=1',
          'limit%5Ba%5D=1',
          'limit=0x10',
          'limit=%2B5',
          'limit=99999999999999999999',
          'limit=1%27%20OR%201%3D1',
        ]
      : []),
    ...(hasCursor
      ? [
          'cursor=',
          'cursor=a.b',
          `cursor=${'a'.repeat(513)}`,
          'cursor=abc',
          'cursor=%00',
          'cursor=a&cursor=b',
          'cursor%5Bx%5D=1',
          `cursor=${Buffer.from('not json').toString('base64url')}`,
          `cursor=${Buffer.from('null').toString('base64url')}`,
          `cursor=${Buffer.from('[1,2]').toString('base64url')}`,
          `cursor=${Buffer.from('{"__proto__":{"polluted":1}}').toString('base64url')}`,
          `cursor=${Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', '7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f'])).toString('base64url')}`,
          `cursor=${Buffer.from(JSON.stringify(['+275760-09-13T00:00:00.000Z', '7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f'])).toString('base64url')}`,
          `cursor=${Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000Z', "' OR 1=1--"])).toString('base64url')}`,
          `cursor=${Buffer.from(JSON.stringify(['2020-02-30T00:00:00.000Z', '7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f'])).toString('base64url')}`,
          `cursor=${Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', '7d9f1c52-8a3e-4b6f-9c1d-2e4a6b8c0d1f'])).toString('base64url')}`,
          `cursor=${Buffer.from('['.repeat(300)).toString('base64url')}`,
        ]
      : []),
  ];
  mutations.push(
    fc
      .tuple(base, fc.constantFrom(...badQueries), fc.boolean())
      .map(([c, q, keep]) => ({ ...c, label: 'bad-query', query: keep ? [...c.query, q] : [q] })),
    fc.tuple(base, fc.stringMatching(/^[a-zA-Z0-9%=&._~-]{1,60}$/)).map(([c, q]) => ({ ...c, label: 'random-query', query: [q] })),
  );
  // Headers: malformed Idempotency-Key on POST, and every kind of bad credential.
  if (op.method === 'post') {
    mutations.push(
      fc
        .tuple(base, fc.constantFrom('', 'x'.repeat(256), 'clé', '\u00ff\u00fe', ' ', '\u00a0x'))
        .map(([c, k]) => ({ ...c, label: 'idempotency-key', headers: { ...c.headers, 'idempotency-key': k } })),
    );
  }
  mutations.push(
    fc
      .tuple(base, fc.constantFrom<AuthKind>('none', 'malformed', 'revoked', 'expired', 'live', 'unknown', 'foreign', 'scoped', 'member'))
      .map(([c, auth]) => ({ ...c, label: `auth-${auth}`, auth })),
  );
  // Methods the path does not have.
  const pathMethods = OPS.filter((o) => o.path === op.path).map((o) => o.method);
  const others = (['get', 'post', 'patch', 'delete', 'put', 'options'] as const).filter((m) => !pathMethods.includes(m as Method));
  if (others.length > 0)
    mutations.push(fc.tuple(base, fc.constantFrom(...others)).map(([c, method]) => ({ ...c, label: 'wrong-method', method })));

  if (op.body) {
    const objectBody = (c: FuzzCase) => asObject(c.body) ?? {};
    // Not JSON, or JSON that is not an object, or nothing at all.
    bodyMutations.push(
      fc.tuple(base, fc.constantFrom(...NOT_JSON)).map(([c, bytes]) => withBody(c, 'not-json', { kind: 'raw', bytes })),
      base.map((c) => withBody(c, 'no-body', { kind: 'none' })),
      base.map((c) => withBody(c, 'empty-object', { kind: 'json', value: {} })),
      fc
        .tuple(
          base,
          fc.constantFrom<string | null>(
            null,
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
            'application/json; charset=utf-16',
            'application/merge-patch+json',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-8',
            'APPLICATION/JSON',
          ),
        )
        .map(([c, contentType]) => withBody(c, 'content-type', { kind: 'raw', bytes: JSON.stringify(objectBody(c)), contentType })),
      fc
        .tuple(base, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip'), fc.boolean())
        .map(([c, encoding, real]) =>
          withBody(c, 'content-encoding', {
            kind: 'raw',
            bytes: real && encoding === 'gzip' ? gzipSync(JSON.stringify(objectBody(c))) : JSON.stringify(objectBody(c)),
            headers: { 'content-encoding': encoding },
          }),
        ),
    );
    // Wrong types anywhere in the body, or the body itself.
    if (props.length > 0) {
      const wrong = fc.oneof(
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.string({ maxLength: 5 }),
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
      );
      bodyMutations.push(
        fc
          .tuple(base, fc.constantFrom(...props.map(([k]) => k)), wrong)
          .map(([c, k, v]) => withBody(c, 'wrong-type', { kind: 'json', value: { ...objectBody(c), [k]: v } })),
        // Numbers and booleans spelled as strings, strings spelled as numbers.
        fc.tuple(base, fc.constantFrom(...props.map(([k]) => k))).map(([c, k]) => {
          const b = objectBody(c);
          const v = b[k];
          const flipped = typeof v === 'string' ? (Number.isNaN(Number(v)) ? 1 : Number(v)) : v === undefined ? '1' : JSON.stringify(v);
          return withBody(c, 'number-as-string', { kind: 'json', value: { ...b, [k]: flipped } });
        }),
        fc.tuple(base, fc.constantFrom(...props.map(([k]) => k))).map(([c, k]) => {
          const { [k]: _dropped, ...rest } = objectBody(c);
          return withBody(c, 'missing-field', { kind: 'json', value: rest });
        }),
      );
    }
    bodyMutations.push(
      fc
        .tuple(base, fc.oneof(fc.constant(null), fc.constant([]), fc.string(), fc.integer(), fc.boolean()))
        .map(([c, v]) => withBody(c, 'body-not-object', { kind: 'json', value: v })),
    );
    // Huge strings: just over the field's limit, and over the route's body cap.
    if (stringProps.length > 0) {
      bodyMutations.push(
        fc
          .tuple(base, fc.constantFrom(...stringProps), fc.constantFrom('x', 'é', '😀', ' '), fc.constantFrom(1, 140_000, 600_000))
          .map(([c, [k, s], ch, size]) =>
            withBody(c, 'huge-string', {
              kind: 'json',
              value: { ...objectBody(c), [k]: ch.repeat(size === 1 ? (s.maxLength ?? 1000) + 1 : size) },
            }),
          ),
      );
      // Unicode edge cases and NUL in every string field.
      bodyMutations.push(
        fc
          .tuple(
            base,
            fc.constantFrom(...stringProps.map(([k]) => k)),
            fc.constantFrom(...EDGE_STRINGS),
            fc.constantFrom('alone', 'prefix', 'suffix'),
          )
          .map(([c, k, edge, where]) => {
            const b = objectBody(c);
            const orig = typeof b[k] === 'string' ? b[k] : 'x';
            const v = where === 'alone' ? edge : where === 'prefix' ? edge + orig : orig + edge;
            return withBody(c, 'unicode', { kind: 'json', value: { ...b, [k]: v } });
          }),
      );
      // Invalid UTF-8 bytes inside a string value.
      bodyMutations.push(
        fc.tuple(base, fc.constantFrom(...stringProps.map(([k]) => k)), fc.constantFrom(...INVALID_UTF8)).map(([c, k, bytes]) => {
          const [head, tail] = bodyTextWith(objectBody(c), k, '"\u0001"').split('\u0001') as [string, string];
          return withBody(c, 'invalid-utf8', {
            kind: 'raw',
            bytes: Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]),
          });
        }),
      );
    }
    // Deep nesting, in a free-form field when there is one, else anywhere.
    bodyMutations.push(
      fc
        .tuple(base, fc.constantFrom(...(props.length > 0 ? props.map(([k]) => k) : ['x'])), fc.constantFrom(...DEEP_DEPTHS), fc.boolean())
        .map(([c, k, depth, asArray]) =>
          withBody(c, 'deep', {
            kind: 'raw',
            bytes: bodyTextWith(objectBody(c), k, nest(Math.min(depth, asArray ? 60_000 : 20_000), asArray)),
          }),
        ),
    );
    // Prototype-pollution keys, at the top and inside free-form objects; sent as text so they stay own keys.
    const freeForm = props.filter(([, s]) => s.additionalProperties === true).map(([k]) => k);
    bodyMutations.push(
      fc.tuple(base, fc.constantFrom(...PROTO_KEYS), fc.constantFrom('top', ...freeForm)).map(([c, member, where]) => {
        const b = objectBody(c);
        const bytes =
          where === 'top'
            ? injectKey(JSON.stringify(b), member)
            : bodyTextWith(b, where, injectKey(JSON.stringify(typeof b[where] === 'object' && b[where] !== null ? b[where] : {}), member));
        return withBody(c, 'proto-keys', { kind: 'raw', bytes });
      }),
    );
    // Duplicate keys: the second occurrence with another value, before or after the first.
    if (props.length > 0) {
      bodyMutations.push(
        fc.tuple(base, fc.constantFrom(...props.map(([k]) => k)), fc.jsonValue({ maxDepth: 1 }), fc.boolean()).map(([c, k, v, first]) => {
          const text = JSON.stringify(objectBody(c));
          const member = `${JSON.stringify(k)}:${JSON.stringify(v)}`;
          const bytes = first ? injectKey(text, member) : text === '{}' ? `{${member}}` : `${text.slice(0, -1)},${member}}`;
          return withBody(c, 'duplicate-keys', { kind: 'raw', bytes });
        }),
      );
    }
    // Mass assignment: server-owned fields the schema does not accept.
    const extra = MASS_FIELDS.filter((f) => !props.some(([k]) => k === f));
    bodyMutations.push(
      fc
        .tuple(
          base,
          fc.constantFrom(...extra),
          fc.oneof(fc.uuid(), fc.constant(null), fc.boolean(), fc.constant('2020-01-01T00:00:00.000Z')),
        )
        .map(([c, k, v]) => withBody(c, 'mass-assignment', { kind: 'json', value: { ...objectBody(c), [k]: v } })),
    );
    // Free-form objects: unicode keys, NUL in keys, odd numbers.
    if (freeForm.length > 0) {
      bodyMutations.push(
        fc
          .tuple(base, fc.constantFrom(...freeForm), fc.constantFrom(...EDGE_STRINGS), smallJson())
          .map(([c, k, key, v]) => withBody(c, 'free-form-keys', { kind: 'json', value: { ...objectBody(c), [k]: { [key]: v } } })),
        fc
          .tuple(
            base,
            fc.constantFrom(...freeForm),
            fc.constantFrom('1e308', '-0', '1e-400', '123456789012345678901234567890', '-1.5e+300'),
          )
          .map(([c, k, num]) => withBody(c, 'free-form-numbers', { kind: 'raw', bytes: bodyTextWith(objectBody(c), k, `{"n":${num}}`) })),
      );
    }
  } else {
    // A body where none is expected.
    mutations.push(
      fc
        .tuple(base, fc.constantFrom('{"a":1}', '{', 'null', nest(20_000, true)))
        .map(([c, bytes]) => withBody(c, 'unexpected-body', { kind: 'raw', bytes })),
    );
  }
  return fc.oneof(
    ...mutations.map((arbitrary) => ({ weight: 1, arbitrary })),
    ...bodyMutations.map((arbitrary) => ({ weight: 3, arbitrary })),
  );
}

const caseArb: fc.Arbitrary<FuzzCase> = fc.oneof(
  ...OPS.map((op) => ({
    weight: 1,
    arbitrary: fc.oneof({ weight: 2, arbitrary: validCase(op) }, { weight: 3, arbitrary: hostileCase(op) }),
  })),
);

// ---------------------------------------------------------------------------------------------------
// The server, the tenants and what the requests may refer to

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let client: HttpClient;
let tables: string[];
let fpQuery: string;
let owner: Tenant;
let member: Tenant;
let foreign: Tenant;
const keys: Record<AuthKind, string | undefined> = {} as never;
let pools: Record<string, Array<{ id: string; slug?: string | null }>> = {};
const protoBaseline = Object.getOwnPropertyNames(Object.prototype).sort();

async function api(t: Tenant, method: string, path: string, body?: unknown) {
  const res = await client.send({
    method,
    path: `/api/v1${path}`,
    headers: { authorization: `Bearer ${t.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text}`);
  return res.json.data;
}

async function refreshPools() {
  const order = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];
  const [agents, sessions, apiKeys, workspaces, projects, blockRows, webhooks, deliveries, activity, triggers] = await Promise.all([
    h.db.prisma.agent.findMany({ select: { id: true, slug: true, orgId: true, deletedAt: true }, orderBy: order }),
    h.db.prisma.session.findMany({ select: { id: true, orgId: true, deletedAt: true }, orderBy: order }),
    h.db.prisma.apiKey.findMany({ select: { id: true, orgId: true, revokedAt: true }, orderBy: order }),
    h.db.prisma.workspace.findMany({ select: { id: true, slug: true, orgId: true }, orderBy: order }),
    h.db.prisma.project.findMany({ select: { id: true, slug: true, orgId: true, deletedAt: true }, orderBy: order }),
    h.db.prisma.block.findMany({ select: { id: true, project: { select: { orgId: true, deletedAt: true } } }, orderBy: order }),
    h.db.prisma.webhookEndpoint.findMany({ select: { id: true, orgId: true, deletedAt: true }, orderBy: order }),
    h.db.prisma.webhookDelivery.findMany({ select: { id: true, orgId: true }, orderBy: order, take: 200 }),
    h.db.prisma.activity.findMany({ select: { id: true, orgId: true }, orderBy: order, take: 200 }),
    h.db.prisma.agentTrigger.findMany({ select: { id: true, orgId: true, revokedAt: true }, orderBy: order }),
  ]);
  const blocks = blockRows.map((b) => ({ id: b.id, orgId: b.project.orgId, deletedAt: b.project.deletedAt }));
  // Keys the fuzzer authenticates with are never offered to DELETE /api-keys/{id}.
  const keyPool = apiKeys.filter((k) => !fixtureKeyIds.has(k.id));
  const own = <T extends { orgId: string }>(rows: T[], live: (r: T) => boolean) => rows.filter((r) => r.orgId === owner.orgId && live(r));
  pools = {
    agent: agents,
    session: sessions,
    apiKey: keyPool,
    workspace: workspaces,
    project: projects,
    block: blocks,
    'own:agent': own(agents, (r) => r.deletedAt === null),
    'own:project': own(projects, (r) => r.deletedAt === null),
    'own:block': own(blocks, (r) => r.deletedAt === null),
    'own:session': own(sessions, (r) => r.deletedAt === null),
    'own:apiKey': own(keyPool, (r) => r.revokedAt === null),
    'own:workspace': own(workspaces, () => true),
    webhooks,
    delivery: deliveries,
    activity,
    trigger: triggers,
    'own:webhooks': own(webhooks, (r) => r.deletedAt === null),
    'own:delivery': own(deliveries, () => true),
    'own:activity': own(activity, () => true),
    'own:trigger': own(triggers, (r) => r.revokedAt === null),
  };
}
const fixtureKeyIds = new Set<string>();

function resolveRef(ref: PoolRef): string {
  let pool = pools[ref.kind] ?? [];
  if (pool.length === 0) pool = pools[ref.kind.replace('own:', '')] ?? [];
  if (pool.length === 0) return '00000000-0000-4000-8000-000000000000';
  const row = pool[ref.index % pool.length]!;
  const value = ref.form === 'slug' && row.slug ? row.slug : row.id;
  return ref.form === 'upper' ? value.toUpperCase() : value;
}

function toRequest(c: FuzzCase): RawRequest {
  let path = `/api/v1${c.op.path}`;
  for (const [name, v] of Object.entries(c.pathParams)) {
    const text = v instanceof PoolRef ? resolveRef(v) : v.raw ? v.text : encodeURIComponent(v.text);
    path = path.replace(`{${name}}`, text);
  }
  const query = c.query.map((q) => (typeof q === 'string' ? q : `${encodeURIComponent(q.name)}=${encodeURIComponent(resolveRef(q.ref))}`));
  if (query.length > 0) path += `?${query.join('&')}`;
  const headers: Record<string, string> = { ...c.headers };
  if (c.auth !== 'none') headers.authorization = `Bearer ${keys[c.auth]}`;
  let body: Buffer | string | undefined;
  if (c.body.kind === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(materialize(c.body.value, resolveRef));
  } else if (c.body.kind === 'raw') {
    if (c.body.contentType !== null) headers['content-type'] = c.body.contentType ?? 'application/json';
    Object.assign(headers, c.body.headers ?? {});
    body = c.body.bytes;
  }
  return { method: c.method.toUpperCase(), path, headers, body };
}

const describeRequest = (r: RawRequest) => {
  const body =
    r.body === undefined
      ? ''
      : Buffer.isBuffer(r.body)
        ? `<${r.body.length} bytes> ${r.body.toString('latin1').slice(0, 300)}`
        : r.body.slice(0, 300);
  const headers = { ...r.headers, authorization: r.headers?.authorization ? '[key]' : undefined };
  return `${r.method} ${r.path.slice(0, 300)}\nheaders: ${JSON.stringify(headers)}\nbody: ${body}`;
};

// ---------------------------------------------------------------------------------------------------
// The checks

const stats = { total: 0, byStatus: new Map<number, number>(), byLabel: new Map<string, number>(), byOp: new Map<string, number>() };
const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

const VALID_IDEMPOTENCY_KEY = /^[ -~]{1,255}$/;

let before: Fingerprint;

/** Mutations no server may accept, whatever the rest of the request: they must end in a 4xx. */
const ALWAYS_REFUSED = new Set([
  'invalid-utf8',
  'mass-assignment',
  'huge-string',
  'body-not-object',
  'empty-object',
  'deep',
  'idempotency-key',
  'auth-none',
  'auth-malformed',
  'auth-revoked',
  'auth-expired',
  'auth-live',
  'auth-unknown',
]);
// NUL, or a \ud800-\udfff escape that is not half of a pair, in JSON text.
const UNSTORABLE_ESCAPE = /\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i;

function mustRefuse(c: FuzzCase, req: RawRequest): boolean {
  const text = req.body === undefined ? '' : Buffer.isBuffer(req.body) ? req.body.toString('latin1') : req.body;
  if (ALWAYS_REFUSED.has(c.label)) return true;
  if (c.label === 'no-body') return c.op.body?.required === true;
  if (c.label === 'proto-keys') return /"__proto__"|"constructor":\{"prototype"/.test(text);
  if (c.label === 'unicode' || c.label === 'free-form-keys') return UNSTORABLE_ESCAPE.test(text);
  if (c.label === 'not-json') {
    try {
      const v = JSON.parse(text.replace(/^\ufeff/, ''));
      return !(v !== null && typeof v === 'object' && !Array.isArray(v));
    } catch {
      return true;
    }
  }
  return false;
}

async function check(c: FuzzCase) {
  const req = toRequest(c);
  const context = () => `${c.label} ${c.op.operationId}\n${describeRequest(req)}`;
  let res: RawAnswer;
  try {
    res = await client.send(req, 20_000);
  } catch (err) {
    throw new Error(`no HTTP answer (${String(err)})\n${context()}`, { cause: err });
  }
  const ctx = () => `${context()}\n-> ${res.status} ${res.text.slice(0, 500)}`;
  stats.total++;
  count(stats.byStatus, res.status);
  count(stats.byLabel, c.label);
  count(stats.byOp, c.op.operationId);

  // Never a 5xx, always the envelope with the request id; except a valid chat that asked to stream, which
  // answers 200 with server-sent events (checked in sessions.chat-stream.test.ts).
  expect(res.status, ctx()).toBeLessThan(500);
  if (res.status === 200 && c.op.operationId === 'chatSession' && /^text\/event-stream/.test(String(res.headers['content-type']))) {
    expect(res.text, ctx()).toMatch(/^data: /m);
    before = await fingerprint(h.db.prisma, tables, fpQuery);
    await refreshPools();
    return;
  }
  expect(String(res.headers['content-type']), ctx()).toMatch(/^application\/json/);
  expect(res.json, ctx()).toBeTypeOf('object');
  const requestId = res.headers['x-request-id'];
  expect(requestId, ctx()).toEqual(expect.any(String));
  if (res.status < 400) {
    expect(Object.keys(res.json).sort(), ctx()).toEqual(['data', 'success']);
    expect(res.json.success, ctx()).toBe(true);
  } else {
    expect(Object.keys(res.json).sort(), ctx()).toEqual(['error', 'success']);
    expect(res.json.success, ctx()).toBe(false);
    const { code, message, requestId: bodyId } = res.json.error;
    expect(STATUS_OF_CODE[code as ErrorCode], ctx()).toBe(res.status);
    expect(typeof message === 'string' && message.length > 0, ctx()).toBe(true);
    expect(bodyId, ctx()).toBe(requestId);
  }

  if (mustRefuse(c, req)) expect(res.status, `${c.label} must be refused\n${ctx()}`).toBeGreaterThanOrEqual(400);

  // A status the contract declares for this operation; 401 and 404 always may come (auth, routing). A
  // method the path does not have is no operation: 404, unless the body was refused first (it is read,
  // capped and parsed before routing), which is 400 or 413.
  const routedHere = c.method === c.op.method;
  const declared = routedHere && c.op.statuses.includes(res.status);
  if (!routedHere) {
    expect([400, 404, 413], `a request to no operation got ${res.status}\n${ctx()}`).toContain(res.status);
  } else if (res.status !== 401 && res.status !== 404) {
    expect(declared, `status ${res.status} is not declared for ${c.op.operationId}\n${ctx()}`).toBe(true);
  }
  // The body matches the contract's schema for that status (errors bypass the server's response validator).
  if (declared) {
    const problems = responseErrors(c.op, res.status, res.json);
    expect(problems, ctx()).toBeUndefined();
  }

  // Nothing changed unless the request was accepted (and GETs change nothing at all).
  const after = await fingerprint(h.db.prisma, tables, fpQuery);
  const changed = changedTables(before, after);
  if (res.status >= 400 || req.method === 'GET') {
    // HTTP drops a header value's surrounding whitespace, so that is the key the server sees.
    const key = req.headers?.['idempotency-key']?.trim();
    // A refusal by the handler is stored under a well-formed Idempotency-Key: that row, and only it, may appear.
    const allowed =
      req.method === 'POST' && key !== undefined && VALID_IDEMPOTENCY_KEY.test(key) && res.status >= 400
        ? (await h.db.prisma.idempotencyKey.findMany({ where: { key } })).some((r) => r.responseStatus === res.status)
          ? ['IdempotencyKey']
          : []
        : [];
    expect(
      changed.filter((t) => !allowed.includes(t)),
      `a ${res.status} changed the database\n${ctx()}`,
    ).toEqual([]);
  } else if (changed.length > 0) {
    await refreshPools();
  }
  before = after;

  // No prototype pollution in the server's process (it is this process).
  expect(Object.getOwnPropertyNames(Object.prototype).sort(), ctx()).toEqual(protoBaseline);
  expect(({} as Record<string, unknown>).polluted, ctx()).toBeUndefined();
  expect(({} as Record<string, unknown>).isDefault, ctx()).toBeUndefined();
}

beforeAll(async () => {
  // Every agent, Ala included, answers on the free local model: a chat the fuzzer gets right is a 2xx, not a 503.
  h = await startHarness({ DEFAULT_MODEL: 'alumia-local', ALA_MODEL: 'alumia-local' });
  server = await listen(h.app);
  client = httpClient(server.port, { keepAlive: true, maxSockets: 1 });
  owner = await h.tenant();
  member = await h.colleague(owner, { role: 'member' });
  foreign = await h.tenant();
  keys.owner = owner.key;
  keys.member = member.key;
  keys.foreign = foreign.key;
  keys.scoped = await h.keyWithScopes(owner, ['agents:read', 'sessions:read']);
  keys.revoked = await h.keyWithScopes(owner, ['*']);
  keys.expired = await h.keyWithScopes(owner, ['*'], new Date(Date.now() - 1000));
  keys.live = await h.mintKey(owner, { env: 'live' });
  keys.malformed = `alm_test_${randomBytes(10).toString('hex')}`;
  keys.unknown = `alm_test_${randomBytes(24).toString('hex')}`;
  keys.none = undefined;
  for (const k of await h.db.prisma.apiKey.findMany({ select: { id: true } })) fixtureKeyIds.add(k.id);
  await h.db.prisma.apiKey.update({ where: { hash: hashKey(keys.revoked) }, data: { revokedAt: new Date() } });

  // A tenant with a few agents, sessions and messages, so ids in the requests hit real rows.
  const made = [];
  for (const name of ['Fuzz Alpha', 'Fuzz Beta', 'Fuzz Gamma', 'Fuzz Delta'])
    made.push(await api(owner, 'POST', '/agents', { name, allowedPeers: ['ala'] }));
  await api(owner, 'PATCH', `/agents/${made[3].id}`, { isActive: false });
  const direct = await api(owner, 'POST', '/sessions', { agentIds: [made[0].id], title: 'direct' });
  const peer = await api(owner, 'POST', '/sessions', { agentIds: [made[0].slug, 'ala'], metadata: { relationship: 'peer' } });
  await api(owner, 'POST', `/sessions/${direct.id}/messages`, { content: 'hello' });
  await api(owner, 'POST', `/sessions/${peer.id}/messages`, { content: 'hi', agentId: made[0].slug });
  await api(owner, 'POST', `/sessions/${direct.id}/chat`, { content: 'hello again' });
  await api(owner, 'DELETE', `/agents/${(await api(owner, 'POST', '/agents', { name: 'Fuzz Deleted' })).id}`);
  await api(member, 'POST', '/sessions', { agentIds: [(await api(member, 'POST', '/agents', { name: 'Member Own' })).id] });
  await api(foreign, 'POST', '/sessions', { agentIds: [(await api(foreign, 'POST', '/agents', { name: 'Foreign' })).slug, 'ala'] });
  // Projects with a few blocks each (one names an agent, one a session), a deleted one, and a session in a project.
  for (const [t, name] of [
    [owner, 'Fuzz Plan'],
    [owner, 'Fuzz Canvas'],
    [member, 'Member Plan'],
    [foreign, 'Foreign Plan'],
  ] as const) {
    const p = await api(t, 'POST', '/projects', { name });
    await api(t, 'POST', `/projects/${p.id}/blocks`, { type: 'heading', content: { text: name, level: 1 } });
    await api(t, 'POST', `/projects/${p.id}/blocks`, { type: 'text', content: { text: 'first words' } });
    await api(t, 'POST', `/projects/${p.id}/blocks`, { type: 'agent', content: { agentId: (await api(t, 'GET', '/agents/ala')).id } });
  }
  await api(owner, 'POST', `/projects/${(await api(owner, 'POST', '/projects', { name: 'Fuzz Deleted Project' })).id}/blocks`, {
    type: 'code',
    content: { code: 'x = 1' },
  });
  await api(owner, 'DELETE', '/projects/fuzz-deleted-project');
  await api(owner, 'POST', '/sessions', { agentIds: [made[0].id], projectId: 'fuzz-plan' });
  await api(owner, 'POST', `/projects/fuzz-canvas/blocks`, { type: 'session', content: { sessionId: direct.id } });
  for (const t of [owner, member, foreign]) await api(t, 'GET', '/dashboard/overview');
  // A webhook endpoint of the owner's and one of the foreign org's (browser-only: made by dashboard
  // sessions), subscribed to agents, with a delivery each; and a trigger URL of an owner's agent.
  for (const [t, events] of [
    [owner, ['agent.*']],
    [foreign, ['*']],
  ] as const) {
    const { headers } = await signIn(h.http, t.email, await givePassword(h, t));
    await h.http.post('/api/v1/webhooks').set(headers).send({ url: 'https://93.184.215.14/fuzz', events }).expect(201);
    await api(t, 'POST', '/agents', { name: `Fuzz Hooked ${t === owner ? 'Own' : 'Foreign'}` });
  }
  await h.db.prisma.agentTrigger.create({
    data: {
      orgId: owner.orgId,
      agentId: made[0].id,
      tokenHash: hashKey(`trg_${randomBytes(16).toString('hex')}`),
      createdByUserId: owner.userId,
    },
  });

  tables = await tableNames(h.db.prisma);
  fpQuery = fingerprintQuery(tables);
  await refreshPools();
  before = await fingerprint(h.db.prisma, tables, fpQuery);
}, 120_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  await h?.close();
});

describe('contract-driven fuzzing', () => {
  it('the converter covers every operation of the contract, with a hostile variant for each', () => {
    expect(OPS.length).toBeGreaterThanOrEqual(20);
    for (const op of OPS) {
      expect(fc.sample(validCase(op), { numRuns: 3, seed: SEED }).length).toBe(3);
      expect(fc.sample(hostileCase(op), { numRuns: 3, seed: SEED }).length).toBe(3);
    }
  });

  it('the database fingerprint notices an insert, an update and a delete, and ignores lastUsedAt', async () => {
    const start = await fingerprint(h.db.prisma, tables, fpQuery);
    const agent = await h.db.prisma.agent.findFirstOrThrow({ where: { orgId: foreign.orgId, isDefault: false } });
    await h.db.prisma.agent.update({ where: { id: agent.id }, data: { description: agent.description } });
    const updated = await fingerprint(h.db.prisma, tables, fpQuery);
    expect(changedTables(start, updated)).toEqual(['Agent']);
    const ws = await h.db.prisma.workspace.create({
      data: { orgId: foreign.orgId, slug: `fp-${randomBytes(3).toString('hex')}`, name: 'fp' },
    });
    const inserted = await fingerprint(h.db.prisma, tables, fpQuery);
    expect(changedTables(updated, inserted)).toEqual(['Workspace']);
    await h.db.prisma.workspace.delete({ where: { id: ws.id } });
    const deleted = await fingerprint(h.db.prisma, tables, fpQuery);
    expect(changedTables(inserted, deleted)).toEqual(['Workspace']);
    await h.db.prisma.apiKey.updateMany({ where: { orgId: foreign.orgId }, data: { lastUsedAt: new Date() } });
    expect(changedTables(deleted, await fingerprint(h.db.prisma, tables, fpQuery))).toEqual([]);
    await h.db.prisma.apiKey.updateMany({ where: { orgId: foreign.orgId }, data: { name: 'renamed' } });
    expect(changedTables(deleted, await fingerprint(h.db.prisma, tables, fpQuery))).toEqual(['ApiKey']);
    before = await fingerprint(h.db.prisma, tables, fpQuery);
  });

  it(`answers ${RUNS} generated requests within the contract, never 5xx, and changes nothing it refuses`, async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await check(c);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const seconds = (Date.now() - started) / 1000;
    const sorted = (m: Map<string | number, number>) =>
      [...m.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
    console.log(
      [
        `fuzz: ${stats.total} requests in ${seconds.toFixed(1)} s (seed ${SEED}) on ${h.db.kind}`,
        `  by status: ${sorted(stats.byStatus)}`,
        `  by kind: ${sorted(stats.byLabel)}`,
        `  by operation: ${sorted(stats.byOp)}`,
      ].join('\n'),
    );
    expect(stats.total).toBeGreaterThanOrEqual(RUNS);
    // Both kinds were exercised: some requests were accepted and many refused, on every operation.
    expect([...stats.byStatus.keys()].some((s) => s < 300)).toBe(true);
    expect([...stats.byStatus.keys()].some((s) => s >= 400)).toBe(true);
    for (const op of OPS) expect(stats.byOp.get(op.operationId) ?? 0, op.operationId).toBeGreaterThan(RUNS / OPS.length / 4);
    // Nothing was logged as a server failure.
    const failures = h.logs.filter((l) => JSON.parse(l).level >= 50);
    expect(failures.slice(0, 3), 'error-level log lines').toEqual([]);
  }, 600_000);
});
