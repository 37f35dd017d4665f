import { readFileSync } from 'node:fs';
import { pathToRegexp } from 'path-to-regexp';
import { fromRoot } from './paths.js';

/** The bundled contract (generated/openapi.json), loaded once. */
export const contractPath = fromRoot('generated', 'openapi.json');
export type OpenApiDocument = Record<string, any> & { paths: Record<string, Record<string, any>> };
export const contract: OpenApiDocument = JSON.parse(readFileSync(contractPath, 'utf8'));

export const API_BASE = '/api/v1';
const DEFAULT_BODY_LIMIT = 128 * 1024;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** What the request pipeline needs to know about an operation before the validator runs. */
export interface OperationInfo {
  operationId: string;
  /** Scopes the bearer key must hold; null when the operation needs no key. */
  scopes: string[] | null;
  bodyLimit: number;
  /** Needs a dashboard session with step-up (`x-browser-only`). */
  browserOnly: boolean;
  /** Body fields only a dashboard session may send (`x-browser-only-fields`). */
  browserOnlyFields: string[];
  /** Guarded by the per-user-and-IP token bucket (`x-sensitive`). */
  sensitive: boolean;
}

interface Route {
  method: string;
  regexp: RegExp;
  paramCount: number;
  info: OperationInfo;
}

function buildRoutes(doc: OpenApiDocument): Route[] {
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const { regexp } = pathToRegexp(API_BASE + path.replace(/\{(\w+)\}/g, ':$1'));
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security: Array<Record<string, string[]>> = op.security ?? doc.security ?? [];
      const bearer = security.find((s) => 'bearerAuth' in s);
      routes.push({
        method: method.toUpperCase(),
        regexp,
        paramCount: path.split('{').length - 1,
        info: {
          operationId: op.operationId,
          scopes: bearer ? bearer.bearerAuth! : null,
          bodyLimit: op['x-body-limit'] ?? DEFAULT_BODY_LIMIT,
          browserOnly: op['x-browser-only'] === true,
          browserOnlyFields: op['x-browser-only-fields'] ?? [],
          sensitive: op['x-sensitive'] === true,
        },
      });
    }
  }
  // Fewer parameters first, so a literal segment wins over a parameter in the same place.
  return routes.sort((a, b) => a.paramCount - b.paramCount);
}

const routes = buildRoutes(contract);

export function findOperation(method: string, path: string): OperationInfo | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return routes.find((r) => r.method === m && r.regexp.test(path))?.info;
}

export { DEFAULT_BODY_LIMIT };
