import type { BlockType } from '../../generated/sdk/types.gen.js';
import { generateKeyBetween } from 'fractional-indexing';
import { ApiError } from '../errors.js';
import { METADATA_LIMITS, checkJsonLimits } from './json-limits.js';
import { UUID_SHAPE } from './slugs.js';

/** A reference a block's content makes, which the data layer checks against what the caller can see. */
export type BlockRef = { kind: 'agent'; id: string } | { kind: 'session'; id: string };

type Check = (value: string | number) => string | undefined;
interface Field {
  kind: 'string' | 'integer';
  required: boolean;
  /** The range rule: a message for a 422, or undefined when the value is fine. */
  check: Check;
}

const maxChars =
  (n: number, min = 0): Check =>
  (v) =>
    [...String(v)].length > n || [...String(v)].length < min ? `must be ${min} to ${n} characters` : undefined;
const LANGUAGE = /^[a-z0-9+#._-]{1,32}$/;
const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const MAX_URL = 2048;
const isUuid: Check = (v) => (UUID_SHAPE.test(String(v)) ? undefined : 'must be a UUID');

function imageUrl(v: string | number): string | undefined {
  const url = String(v);
  if (DATA_IMAGE.test(url)) return undefined;
  if (!url.startsWith('https://') || url.length > MAX_URL)
    return `must be an https:// URL of at most ${MAX_URL} characters or a base64 image data URL`;
  try {
    new URL(url);
    return undefined;
  } catch {
    return 'is not a valid URL';
  }
}

/** The content shape of every block type; the contract's BlockType documents the same table. */
export const BLOCK_SHAPES: Record<BlockType, Record<string, Field>> = {
  text: { text: { kind: 'string', required: true, check: maxChars(20_000) } },
  heading: {
    text: { kind: 'string', required: true, check: maxChars(500, 1) },
    level: { kind: 'integer', required: true, check: (v) => (Number(v) >= 1 && Number(v) <= 6 ? undefined : 'must be 1 to 6') },
  },
  code: {
    code: { kind: 'string', required: true, check: maxChars(20_000) },
    language: {
      kind: 'string',
      required: false,
      check: (v) => (LANGUAGE.test(String(v)) ? undefined : 'must be 1 to 32 of a-z 0-9 + # . _ -'),
    },
  },
  image: {
    url: { kind: 'string', required: true, check: imageUrl },
    alt: { kind: 'string', required: false, check: maxChars(1000) },
  },
  agent: { agentId: { kind: 'string', required: true, check: isUuid } },
  session: { sessionId: { kind: 'string', required: true, check: isUuid } },
};

const fail = (code: 'BAD_REQUEST' | 'VALIDATION_ERROR', field: string, message: string, type: BlockType) =>
  new ApiError(code, `content of a ${type} block: ${field} ${message}`, [{ path: `body.content.${field}`, message }]);

/**
 * Checks `content` against the shape of `type`: within 32 KB and 8 levels (422), every required field
 * there, no unlisted field and each of its JSON type (400), each value in range (422). Returns the agent or
 * session it names, for the caller to check.
 */
export function checkBlockContent(type: BlockType, content: Record<string, unknown>): BlockRef | undefined {
  checkJsonLimits(content, METADATA_LIMITS, 'body.content');
  const shape = BLOCK_SHAPES[type];
  for (const key of Object.keys(content)) {
    if (!Object.hasOwn(shape, key)) throw fail('BAD_REQUEST', key, `is not a field of a ${type} block`, type);
  }
  for (const [key, field] of Object.entries(shape)) {
    const value = content[key];
    if (value === undefined) {
      if (field.required) throw fail('BAD_REQUEST', key, 'is required', type);
      continue;
    }
    const rightType = field.kind === 'string' ? typeof value === 'string' : Number.isInteger(value);
    if (!rightType) throw fail('BAD_REQUEST', key, `must be ${field.kind === 'string' ? 'a string' : 'an integer'}`, type);
    const problem = field.check(value as string | number);
    if (problem) throw fail('VALIDATION_ERROR', key, problem, type);
  }
  if (type === 'agent') return { kind: 'agent', id: String(content.agentId).toLowerCase() };
  if (type === 'session') return { kind: 'session', id: String(content.sessionId).toLowerCase() };
  return undefined;
}

/**
 * What a PATCH asks of a block: its new type and content (content alone keeps the type; a type needs a
 * content of that type, 400 without).
 */
export function patchedContent(
  current: BlockType,
  body: { type?: BlockType; content?: Record<string, unknown> },
): { type: BlockType; content: Record<string, unknown> } | undefined {
  if (body.type !== undefined && body.content === undefined) {
    throw new ApiError('BAD_REQUEST', 'Changing a block type needs the content of the new type', [
      { path: 'body.content', message: 'is required when type is sent' },
    ]);
  }
  if (body.content === undefined) return undefined;
  return { type: body.type ?? current, content: body.content };
}

/** A position strictly between two neighbours (null: the start or the end), sortable byte by byte. */
export const positionBetween = (before: string | null, after: string | null): string => generateKeyBetween(before, after);

/** The content field a feed row may excerpt, by type; agent and session blocks show none. */
const PREVIEW_FIELD: Record<BlockType, string | null> = {
  text: 'text',
  heading: 'text',
  code: 'code',
  image: 'alt',
  agent: null,
  session: null,
};

/** The text a feed row may show of a block, before the data layer cuts it to an excerpt. */
export function blockPreview(type: BlockType, content: Record<string, unknown>): string {
  const field = PREVIEW_FIELD[type];
  const text = field ? content[field] : undefined;
  return typeof text === 'string' ? text : '';
}

/** A position in a list ordered by (position, id) ascending. */
export interface BlockKeyset {
  position: string;
  id: string;
}

// The alphabet of fractional-indexing's keys; anything else never came from this API.
const POSITION = /^[0-9A-Za-z]{1,256}$/;

export const encodeBlockCursor = (k: BlockKeyset) => Buffer.from(JSON.stringify([k.position, k.id])).toString('base64url');

/** The cursor of a blocks page; a damaged one is a 422 on `query.cursor`. */
export function decodeBlockCursor(cursor: string | undefined): BlockKeyset | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // Not JSON: refused below like any other damage.
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    POSITION.test(parsed[0]) &&
    // Stryker disable next-line ConditionalExpression: equivalent, a non-string never matches UUID_SHAPE once coerced
    typeof parsed[1] === 'string' &&
    UUID_SHAPE.test(parsed[1])
  ) {
    return { position: parsed[0], id: parsed[1] };
  }
  throw new ApiError('VALIDATION_ERROR', 'The cursor is not valid; pass back a nextCursor exactly as received', [
    { path: 'query.cursor', message: 'is not a cursor this API issued' },
  ]);
}
