import { z } from 'zod';
import { ApiError, type ErrorDetail } from '../errors.js';
import { collapseWhitespace, refusedInvisible } from './agent-names.js';

/**
 * The rules of the enterprise inquiry form, as plain functions. The contract checks the shape (types,
 * closed body, the team size enum, generous raw caps); the bounds below apply to the normalized values,
 * so `"  Ada  "` is a 3-character name. Lengths count characters (code points), as the contract's
 * `maxLength` does.
 */

export const TEAM_SIZES = ['1-10', '11-50', '51-200', '201-1000', '1001+'] as const;
export type TeamSize = (typeof TEAM_SIZES)[number];

export const NAME_MAX = 200;
export const COMPANY_MAX = 200;
/** RFC 5321: a path is at most 256 octets with its brackets, so an address at most 254; a local part at most 64. */
export const EMAIL_MAX = 254;
export const EMAIL_LOCAL_MAX = 64;
export const MESSAGE_MAX = 5000;
/** How long a second inquiry with one email updates the first instead of adding one. */
export const DEDUP_WINDOW_MS = 24 * 60 * 60 * 1000;

/** What the form sends, as the contract types it. */
export interface InquiryInput {
  name: string;
  email: string;
  company: string;
  teamSize: TeamSize;
  message?: string | null;
  website?: string | null;
}

/** An inquiry as stored. */
export interface Inquiry {
  name: string;
  email: string;
  company: string;
  teamSize: TeamSize;
  message: string | null;
}

/**
 * The address shape is zod's email check, not a regex of our own: zod is already how this server
 * validates its configuration, and its pattern is maintained against real-world addresses (no leading,
 * trailing or doubled dots, a hostname of proper labels, a top-level part of two letters or more). It is
 * stricter than RFC 5322 on purpose: quoted local parts, IP literals and non-ASCII addresses are legal but
 * are not what a sales team can write back to. validator's isEmail would also do; it would be one more
 * dependency for the same answer here.
 */
const EMAIL_SHAPE = z.email();

const length = (s: string) => [...s].length;
const EDGES = /^\p{White_Space}+|\p{White_Space}+$/gu;

/** Whether the honeypot holds anything: people leave it empty, form-filling bots write into every field. */
export const honeypotFilled = (website: string | null | undefined): boolean => (website ?? '').replace(EDGES, '') !== '';

/** A single-line text field (name, company): whitespace collapsed, no invisible characters, 1..max. */
function lineField(field: string, raw: string, max: number, problems: ErrorDetail[]): string {
  const invisible = refusedInvisible(raw);
  if (invisible) {
    problems.push({ path: `body.${field}`, message: `must not contain the invisible character ${invisible.codePoint}` });
    return raw;
  }
  const value = collapseWhitespace(raw);
  if (length(value) < 1 || length(value) > max) {
    problems.push({ path: `body.${field}`, message: `must be 1 to ${max} characters after trimming` });
  }
  return value;
}

function emailField(raw: string, problems: ErrorDetail[]): string {
  const email = raw.replace(EDGES, '').toLowerCase();
  const local = email.slice(0, email.lastIndexOf('@'));
  if (length(email) > EMAIL_MAX || length(local) > EMAIL_LOCAL_MAX || !EMAIL_SHAPE.safeParse(email).success) {
    problems.push({
      path: 'body.email',
      message: `must be an email address of at most ${EMAIL_MAX} characters (${EMAIL_LOCAL_MAX} before the @)`,
    });
  }
  return email;
}

/** The message: trimmed, line breaks kept; empty is none. */
function messageField(raw: string | null | undefined, problems: ErrorDetail[]): string | null {
  const message = (raw ?? '').replace(EDGES, '');
  if (length(message) > MESSAGE_MAX)
    problems.push({ path: 'body.message', message: `must be at most ${MESSAGE_MAX} characters after trimming` });
  return message === '' ? null : message;
}

/**
 * The inquiry to store, or one 422 listing every field out of bounds. Messages name the rule, never the
 * value sent: the body is the inquirer's personal data and must not reach logs or other places.
 */
export function normalizeInquiry(input: InquiryInput): Inquiry {
  const problems: ErrorDetail[] = [];
  const inquiry: Inquiry = {
    name: lineField('name', input.name, NAME_MAX, problems),
    email: emailField(input.email, problems),
    company: lineField('company', input.company, COMPANY_MAX, problems),
    teamSize: input.teamSize,
    message: messageField(input.message, problems),
  };
  if (problems.length > 0) {
    throw new ApiError('VALIDATION_ERROR', problems.map((p) => `${p.path} ${p.message}`).join('; '), problems);
  }
  return inquiry;
}
