import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { fromRoot } from '../../server/paths.js';

/**
 * The bundled contract (generated/openapi.json) as data for tests: every operation with its parameters,
 * body schema, declared statuses and security, `$ref`s resolved; a JSON-schema-to-fast-check converter
 * for the subset of JSON Schema the contract uses; and response validation with ajv (2020-12 dialect,
 * which is what OpenAPI 3.1 schemas are).
 */

export type Schema = Record<string, any>;
export type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';

export const contract: Record<string, any> = JSON.parse(readFileSync(fromRoot('generated', 'openapi.json'), 'utf8'));

/** Resolves `#/components/...` references (siblings of `$ref` win over the target's keys, as in 3.1). */
export function deref<T = Schema>(node: unknown, depth = 0): T {
  if (depth > 50) throw new Error('contract $ref nesting too deep (a cycle?)');
  if (Array.isArray(node)) return node.map((n) => deref(n, depth + 1)) as T;
  if (node === null || typeof node !== 'object') return node as T;
  const obj = node as Record<string, unknown>;
  if (typeof obj.$ref === 'string') {
    const target = resolvePointer(obj.$ref);
    const { $ref: _ignored, ...siblings } = obj;
    return deref({ ...target, ...siblings }, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = deref(v, depth + 1);
  return out as T;
}

function resolvePointer(ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`external $ref not supported: ${ref}`);
  let cur: any = contract;
  for (const part of ref.slice(2).split('/')) {
    cur = cur?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (cur === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  return cur;
}

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: Method;
  /** The contract path, such as `/agents/{id}` (without /api/v1). */
  path: string;
  operationId: string;
  params: Param[];
  body?: { schema: Schema; required: boolean };
  /** The statuses the contract declares. */
  statuses: number[];
  /** Scopes the bearer key needs; null when no key is needed. */
  scopes: string[] | null;
  /** Whether an API key may call it (cookie-only operations refuse keys with 403). */
  keys: boolean;
  browserOnly: boolean;
  browserOnlyFields: string[];
  responses: Record<string, Schema>;
}

export const METHODS: Method[] = ['get', 'post', 'patch', 'delete', 'put'];

export function operations(): Operation[] {
  const ops: Operation[] = [];
  for (const [path, rawItem] of Object.entries<Record<string, any>>(contract.paths)) {
    const item = rawItem;
    const shared: Param[] = (item.parameters ?? []).map((p: unknown) => deref<Param>(p));
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const own: Param[] = (op.parameters ?? []).map((p: unknown) => deref<Param>(p));
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const content = op.requestBody ? deref<Schema>(op.requestBody) : undefined;
      const security: Array<Record<string, string[]>> = op.security ?? contract.security ?? [];
      const bearer = security.find((s) => 'bearerAuth' in s);
      ops.push({
        method,
        path,
        operationId: op.operationId,
        params,
        body: content ? { schema: content.content['application/json'].schema, required: content.required === true } : undefined,
        statuses: Object.keys(op.responses).map(Number),
        // The server's rule (server/contract.ts): a cookie-only operation needs a caller, so it is not public.
        scopes: bearer ? bearer.bearerAuth! : security.some((s) => 'cookieAuth' in s) ? [] : null,
        keys: bearer !== undefined || security.length === 0,
        browserOnly: op['x-browser-only'] === true,
        browserOnlyFields: op['x-browser-only-fields'] ?? [],
        responses: Object.fromEntries(
          Object.entries<any>(op.responses).map(([status, r]) => [status, deref<Schema>(r).content?.['application/json']?.schema]),
        ),
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------------
// Response validation

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
const compiled = new Map<string, ValidateFunction>();

/** Validates a response body against the schema the contract declares for the operation and status. */
export function responseErrors(op: Operation, status: number, body: unknown): string | undefined {
  const schema = op.responses[String(status)];
  if (!schema) return `no schema declared for ${op.operationId} ${status}`;
  const key = `${op.operationId} ${status}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate(body) ? undefined : ajv.errorsText(validate.errors);
}

// ---------------------------------------------------------------------------------------------------
// JSON Schema -> fast-check

/**
 * A value that depends on the database at the time the request is sent (an existing agent, session...):
 * generated as a placeholder and replaced by `materialize`, so generation stays a pure function of the seed.
 */
export class PoolRef {
  constructor(
    readonly kind: string,
    readonly index: number,
    readonly form: 'id' | 'slug' | 'upper' = 'id',
  ) {}
}

/** Supplies values the schema alone cannot (a model id from the catalog, an agent the caller can see). */
export type Hint = (path: string[], schema: Schema) => fc.Arbitrary<unknown> | undefined;

/** Text without NUL (which the API refuses on purpose), in code points so lengths match JSON Schema's. */
const anyText = (minLength: number, maxLength: number) =>
  fc.string({ unit: 'binary', minLength, maxLength }).map((s) => s.replace(/\0/g, '0'));
const plainText = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789-_.'), minLength, maxLength });

function stringArb(schema: Schema): fc.Arbitrary<string> {
  const min: number = schema.minLength ?? 0;
  const max: number = schema.maxLength ?? 200;
  if (schema.format === 'uuid') return fc.uuid({ version: 4 });
  if (schema.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2199-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
  }
  if (schema.pattern) {
    const re = new RegExp(schema.pattern, 'u');
    return fc.stringMatching(re, { size: 'small' }).filter((s) => [...s].length >= min && [...s].length <= max);
  }
  const small = Math.min(max, min + 40);
  return fc.oneof(
    { weight: 6, arbitrary: plainText(Math.max(min, 1), Math.max(small, Math.max(min, 1))) },
    { weight: 3, arbitrary: anyText(min, small) },
    // The boundary itself, now and then.
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(max), 'é'.repeat(max), '😀'.repeat(max)) },
  );
}

/** Any JSON value, small, for free-form objects (settings, metadata). */
export const smallJson = (): fc.Arbitrary<unknown> =>
  fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      anyText(0, 20),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(plainText(1, 10), tie('value'), { maxKeys: 3 }),
    ),
  })).value;

export function arbitraryFor(schema: Schema, hint: Hint, path: string[] = []): fc.Arbitrary<unknown> {
  const hinted = hint(path, schema);
  if (hinted) return hinted;
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['object'];
  if (types.length > 1) {
    return fc.oneof(...types.map((t) => (t === 'null' ? fc.constant(null) : arbitraryFor({ ...schema, type: t }, hint, path))));
  }
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'string':
      return stringArb(schema);
    case 'array': {
      const item = arbitraryFor(schema.items ?? {}, hint, [...path, '[]']);
      const minLength: number = schema.minItems ?? 0;
      const maxLength: number = Math.min(schema.maxItems ?? 5, minLength + 5);
      return schema.uniqueItems
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      const props: Record<string, Schema> = schema.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) model[k] = arbitraryFor(s, hint, [...path, k]);
      const known = fc.record(model, { requiredKeys: schema.required ?? [] });
      if (schema.additionalProperties === true || (schema.additionalProperties === undefined && !schema.properties)) {
        const extra = fc.dictionary(
          plainText(1, 12).filter((k) => !(k in props)),
          smallJson(),
          { maxKeys: 3 },
        );
        return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }));
      }
      return known;
    }
  }
  throw new Error(`schema type not supported by the converter: ${JSON.stringify(schema).slice(0, 200)}`);
}

/** Replaces every PoolRef in `value` by what `resolve` says it is now. */
export function materialize(value: unknown, resolve: (ref: PoolRef) => unknown): unknown {
  if (value instanceof PoolRef) return resolve(value);
  if (Array.isArray(value)) return value.map((v) => materialize(v, resolve));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = materialize(v, resolve);
    return out;
  }
  return value;
}
