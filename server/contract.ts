import { readFileSync } from 'node:fs';
import { match, type MatchFunction } from 'path-to-regexp';
import { fromRoot } from './paths.js';

/** The bundled contract (generated/openapi.json), loaded once. */
export const contractPath = fromRoot('generated', 'openapi.json');
/** The parts of an operation the server reads itself; the validator reads the rest. */
export interface OperationObject {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, unknown>;
  requestBody?: unknown;
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
  'x-body-limit'?: number;
  'x-browser-only'?: boolean;
  'x-browser-only-fields'?: string[];
  'x-sensitive'?: boolean;
  'x-rate-limit'?: string;
}
export interface OpenApiDocument {
  paths: Record<string, Partial<Record<string, OperationObject>>>;
  security?: Array<Record<string, string[]>>;
  [key: string]: unknown;
}
export const contract = JSON.parse(readFileSync(contractPath, 'utf8')) as OpenApiDocument;

export const API_BASE = '/api/v1';

/**
 * The one matching rule, for the operation lookup, the validator and the few express routes outside the
 * contract: paths match exactly as the contract spells them (case-sensitive, no trailing slash).
 */
export const ROUTING = { caseSensitive: true, strict: true } as const;
export const ROUTER_OPTIONS = { caseSensitive: ROUTING.caseSensitive, strict: ROUTING.strict };
const DEFAULT_BODY_LIMIT = 128 * 1024;
const IDEMPOTENCY_KEY_REF = '#/components/parameters/IdempotencyKey';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** What the request pipeline needs to know about an operation before the validator runs. */
export interface OperationInfo {
  operationId: string;
  /**
   * Scopes the bearer key must hold; null when the operation needs no caller (public), [] when only a
   * dashboard session may call it.
   */
  scopes: string[] | null;
  /** Whether an API key may call it: it lists `bearerAuth`, or it is public (a key, if sent, is checked). */
  keys: boolean;
  /** Whether the dashboard's session cookie may call it (`cookieAuth`). */
  cookie: boolean;
  bodyLimit: number;
  /** Needs a dashboard session with step-up (`x-browser-only`). */
  browserOnly: boolean;
  /** Body fields only a dashboard session may send (`x-browser-only-fields`). */
  browserOnlyFields: string[];
  /** Guarded by the per-user-and-IP token bucket (`x-sensitive`). */
  sensitive: boolean;
  /** The named limit of a public utility (`x-rate-limit`), per key or client IP. */
  rateLimit: string | undefined;
  /** It declares the Idempotency-Key header: only then is a key's answer stored for replay. */
  idempotent: boolean;
}

interface Route {
  method: string;
  match: MatchFunction<Record<string, string>>;
  paramCount: number;
  info: OperationInfo;
}

/** A request placed in the contract: its operation and its decoded path parameters. */
export interface MatchedOperation {
  info: OperationInfo;
  params: Record<string, string>;
}

function buildRoutes(doc: OpenApiDocument): Route[] {
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const matcher = match<Record<string, string>>(API_BASE + path.replace(/\{(\w+)\}/g, ':$1'), {
      sensitive: ROUTING.caseSensitive,
      trailing: !ROUTING.strict,
      decode: decodeSegment,
    });
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security = op.security ?? doc.security ?? [];
      const bearer = security.find((s) => 'bearerAuth' in s);
      const cookie = security.some((s) => 'cookieAuth' in s);
      routes.push({
        method: method.toUpperCase(),
        match: matcher,
        paramCount: path.split('{').length - 1,
        info: {
          operationId: op.operationId,
          scopes: bearer ? bearer.bearerAuth! : cookie ? [] : null,
          keys: bearer !== undefined || security.length === 0,
          cookie,
          bodyLimit: op['x-body-limit'] ?? DEFAULT_BODY_LIMIT,
          browserOnly: op['x-browser-only'] === true,
          browserOnlyFields: op['x-browser-only-fields'] ?? [],
          sensitive: op['x-sensitive'] === true,
          rateLimit: op['x-rate-limit'],
          idempotent: (op.parameters ?? []).some(
            (p) => p.$ref === IDEMPOTENCY_KEY_REF || (p.in === 'header' && p.name?.toLowerCase() === 'idempotency-key'),
          ),
        },
      });
    }
  }
  // Fewer parameters first, so a literal segment wins over a parameter in the same place.
  return routes.sort((a, b) => a.paramCount - b.paramCount);
}

const routes = buildRoutes(contract);

/** A path segment that is not valid percent-encoding matches no operation. */
class MalformedSegment extends Error {}
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MalformedSegment();
  }
}

/** The operation a request addresses (HEAD addresses the GET of its path), or undefined. */
export function findOperation(method: string, path: string): MatchedOperation | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  for (const route of routes) {
    if (route.method !== wanted) continue;
    try {
      const found = route.match(path);
      if (found) return { info: route.info, params: found.params };
    } catch (err) {
      if (err instanceof MalformedSegment) return undefined;
      throw err;
    }
  }
  return undefined;
}

/** Every operation of the contract, for checks that the app serves exactly these. */
export const operations: readonly OperationInfo[] = routes.map((r) => r.info);
