import { slug } from 'github-slugger';
import { Lexer, type Token, type Tokens } from 'marked';
import { GUIDE_URL, headingId, lexGuide } from './guide.js';

/** One searchable piece of the documentation, and where it is shown on this server. */
export interface Passage {
  title: string;
  /** Words a reader may search by that the prose does not hold: method, path, operationId, tag. */
  keywords: string;
  /** Everything searched and shown to the model. */
  text: string;
  /** The part of `text` that answers quote, when not all of it reads well alone (an operation's description). */
  quote?: string;
  /** The error responses an operation lists, status and description (operations only). */
  errors?: string;
  url: string;
  /** Schemas and shared parameters are cited as an operation, so they rank below the operation itself. */
  secondary?: boolean;
}

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `createAgent` -> `create Agent`, `APIKey` -> `API Key`: operation and schema names as words. */
export const splitWords = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');

/** Markdown reduced to the words a reader sees: no emphasis, code ticks, table rules or link targets. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/^\s*\|?\s*:?-{3,}.*$/gm, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^```.*$/gm, ' ')
    .replace(/`+|\*\*|__|^\s*#+\s|^\s*>\s?|\|/gm, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Where a component named by `#/components/<kind>/<Name>` lives in the bundle. */
function resolve(doc: Json, value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  const ref = str(value.$ref);
  if (!ref.startsWith('#/components/')) return value;
  const [, , kind, name] = ref.split('/');
  const components = doc.components as Record<string, Record<string, Json>>;
  return components[kind!]?.[name!];
}

/** The schema names `value` refers to, directly or through other schemas. */
function schemasReached(doc: Json, value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) schemasReached(doc, v, into);
  else if (isObject(value)) {
    const ref = str(value.$ref);
    const match = /^#\/components\/(schemas|parameters)\/(.+)$/.exec(ref);
    if (match?.[1] === 'schemas' && !into.has(match[2]!)) {
      into.add(match[2]!);
      schemasReached(doc, resolve(doc, value), into);
    } else if (match?.[1] === 'parameters') schemasReached(doc, resolve(doc, value), into);
    else for (const v of Object.values(value)) schemasReached(doc, v, into);
  }
  return into;
}

/**
 * The descriptions of the schemas an operation takes and answers on success, top level only (and the
 * parts of an allOf): what a list's page fields or a body's rules say belongs to the operation too.
 */
function shapes(doc: Json, op: Json): string[] {
  const media = (holder: unknown) => Object.values((resolve(doc, holder)?.content ?? {}) as Record<string, Json>).map((m) => m.schema);
  const success = Object.entries((op.responses ?? {}) as Record<string, unknown>).filter(([s]) => Number(s) < 300);
  const found: string[] = [];
  const visit = (schema: unknown, depth: number) => {
    const resolved = resolve(doc, schema);
    if (!resolved || depth > 3) return;
    if (str(resolved.description)) found.push(str(resolved.description));
    for (const part of (resolved.allOf as unknown[]) ?? []) visit(part, depth + 1);
    // The envelope's `data` holds the operation's own schema.
    const data = (resolved.properties as Json | undefined)?.data;
    if (data) visit(data, depth + 1);
  };
  for (const schema of [...media(op.requestBody), ...success.flatMap(([, r]) => media(r))]) visit(schema, 0);
  return found;
}

export const operationUrl = (operationId: string) => `/docs#operation/${operationId}`;
/** Redoc's anchor for a `##` section of info.description: `section/` and the heading slugified. */
export const sectionUrl = (heading: string) => `/docs#section/${slug(heading)}`;
export const guideUrl = (id: string) => `${GUIDE_URL}#${id}`;

/**
 * Passages of the bundled contract: one per operation, one per described schema (cited as the first
 * operation that uses it, since the reference renders no schema anchors; as the Errors section when only
 * error answers use it), and one per `##` section of info.description.
 */
export function contractPassages(doc: Json): Passage[] {
  const passages: Passage[] = [];
  const schemaHome = new Map<string, string>();
  const sharedParams = new Map<string, { param: Json; url: string }>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const id = str(op.operationId);
      const responses = (op.responses ?? {}) as Record<string, unknown>;
      // A shared parameter (Idempotency-Key, cursor, ...) is described once, as its own passage below:
      // repeated in every operation that takes it, its words would match them all alike.
      const params = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])].map((p) => {
        const ref = isObject(p) ? str(p.$ref) : '';
        const resolved = resolve(doc, p);
        if (ref && !sharedParams.has(ref)) sharedParams.set(ref, { param: resolved ?? {}, url: operationUrl(id) });
        return ref ? str(resolved?.name) : `${str(resolved?.name)}: ${str(resolved?.description)}`;
      });
      const errors = Object.entries(responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, r]) => `${status} ${str(resolve(doc, r)?.description)}`);
      passages.push({
        title: str(op.summary),
        keywords: `${method.toUpperCase()} ${path} ${splitWords(id)} ${((op.tags as string[]) ?? []).join(' ')}`,
        text: plainText([str(op.description), ...params, ...shapes(doc, op)].join('\n')),
        quote: plainText(str(op.description)),
        errors: plainText(errors.join('\n')),
        url: operationUrl(id),
      });
      // Only what the operation takes and answers on success says which schemas it is about.
      const own = {
        parameters: op.parameters,
        requestBody: op.requestBody,
        responses: Object.entries(responses).filter(([s]) => Number(s) < 400),
      };
      for (const name of schemasReached(doc, own, new Set())) if (!schemaHome.has(name)) schemaHome.set(name, operationUrl(id));
    }
  }
  const schemas = ((doc.components as Json).schemas ?? {}) as Record<string, Json>;
  for (const [name, schema] of Object.entries(schemas)) {
    const properties = Object.entries((schema.properties ?? {}) as Record<string, Json>).map(([p, s]) => `${p}: ${str(s.description)}`);
    if (!str(schema.description) && properties.length === 0) continue;
    passages.push({
      title: `${splitWords(name)} schema`,
      keywords: name,
      secondary: true,
      text: plainText([str(schema.description), ...properties].join('\n')),
      url: schemaHome.get(name) ?? sectionUrl('Errors'),
    });
  }
  for (const { param, url } of sharedParams.values()) {
    passages.push({
      title: `${str(param.name)} parameter`,
      keywords: '',
      text: plainText(str(param.description)),
      url,
      secondary: true,
    });
  }
  // The shared error answers, each as the Errors section it belongs to.
  for (const [name, response] of Object.entries(((doc.components as Json).responses ?? {}) as Record<string, Json>)) {
    passages.push({
      title: `${splitWords(name)} error`,
      keywords: name,
      text: plainText(str(response.description)),
      url: sectionUrl('Errors'),
    });
  }
  const info = str((doc.info as Json).description);
  for (const part of info.split(/^## /m).slice(1)) {
    const [heading = '', ...body] = part.split('\n');
    passages.push(...sectionPassages(heading.trim(), sectionUrl(heading.trim()), Lexer.lex(body.join('\n'), { gfm: true })));
  }
  return passages;
}

/**
 * A section's passages: its prose as one, and each row of its tables as one more (a row of the
 * configuration or error table is a whole answer, and a long table would drown it), all at its url.
 */
function sectionPassages(title: string, url: string, tokens: Token[]): Passage[] {
  const prose: string[] = [];
  const rows: string[] = [];
  for (const token of tokens) {
    if (token.type === 'table') {
      const table = token as Tokens.Table;
      prose.push(table.header.map((cell) => cell.text).join(' · '), '\n');
      rows.push(...table.rows.map((row) => row.map((cell) => cell.text).join(' · ')));
    } else prose.push(token.raw);
  }
  const passage = (text: string): Passage => ({ title, keywords: '', text: plainText(text), url });
  return [passage(prose.join('')), ...rows.map(passage)];
}

/** Passages of the guide (README.md), per `#`, `##` and `###` heading; `####` and below stay in theirs. */
export function guidePassages(markdown: string): Passage[] {
  const passages: Passage[] = [];
  let parent = '';
  let current: { title: string; id: string; tokens: Token[] } | undefined;
  const flush = () => {
    if (current) passages.push(...sectionPassages(current.title, guideUrl(current.id), current.tokens));
  };
  for (const token of lexGuide(markdown)) {
    if (token.type === 'heading' && (token as Tokens.Heading).depth <= 3) {
      flush();
      const heading = token as Tokens.Heading;
      if (heading.depth <= 2) parent = heading.text;
      // A subsection's title names its section too: "Guarantees › Faults".
      current = { title: heading.depth === 3 ? `${parent} › ${heading.text}` : heading.text, id: headingId(heading), tokens: [] };
    } else current?.tokens.push(token);
  }
  flush();
  return passages;
}
