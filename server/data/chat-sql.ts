import type { Sql } from '../db/database.js';
import type { Participant } from '../domain/chat.js';
import { HISTORY_LIMIT, type HistoryMessage } from '../domain/chat.js';
import { insertActivitySql, type ActivityEntry, type ActivityLog } from './activity.js';
import type { Caller } from './caller.js';
import { billedOrgSql, orgWideSql, scopeParams, visibleSql } from './tenancy.js';

/**
 * Chat's reads and writes as single statements: a chat is on the hot path (one read for everything the
 * refusals and the prompt need, one atomic write for the message, the reply and the debit), and an ORM
 * transaction held open across round trips costs several times the work itself (bench/README.md).
 */

export interface ChatContext {
  id: string;
  orgId: string;
  workspaceId: string | null;
  projectId: string | null;
  title: string | null;
  metadata: Record<string, unknown>;
  /** The session's live agents, in the order they joined, with what a chat needs of them. */
  participants: Array<Participant & { model: string; systemPrompt: string | null }>;
  /** The org's credit balance in creditMicro, as text (bigint). */
  balance: string;
  userName: string | null;
  /** The latest messages with text, newest first. */
  history: HistoryMessage[];
}

// The session as the caller may see it ($1-$3 scope, $4 its id); its agents are reached through it wherever
// they live (tenancy.orgWide), and the balance is the caller's org's (tenancy.billedTo).
const CONTEXT = `
SELECT t.id, t."orgId", t."workspaceId", t."projectId", t.title, t.metadata,
  (SELECT coalesce(json_agg(json_build_object('id', a.id, 'slug', a.slug, 'name', a.name, 'isActive', a."isActive",
      'allowedPeerIds', a."allowedPeerIds", 'model', a.model, 'systemPrompt', a."systemPrompt") ORDER BY p."createdAt"), '[]')
     FROM "SessionParticipant" p JOIN "Agent" a ON a.id = p."agentId" AND ${orgWideSql('agent', 'a')}
    WHERE p."sessionId" = t.id) AS participants,
  (SELECT o."creditBalanceMicro"::text FROM "Organization" o WHERE ${billedOrgSql('o')}) AS balance,
  (SELECT u.name FROM "User" u WHERE u.id = $3::uuid) AS "userName",
  (SELECT coalesce(json_agg(h), '[]') FROM (
     SELECT m."agentId", m.content, coalesce(a.name, u.name, 'User') AS "authorName"
       FROM "Message" m LEFT JOIN "Agent" a ON a.id = m."agentId" LEFT JOIN "User" u ON u.id = m."userId"
      WHERE m."sessionId" = t.id AND m.content <> ''
      ORDER BY m."createdAt" DESC, m.id DESC LIMIT ${HISTORY_LIMIT}) h) AS history
FROM "Session" t WHERE t.id = $4::uuid AND ${visibleSql('session')}`;

export async function readChatContext(sql: Sql, caller: Caller, sessionId: string): Promise<ChatContext | undefined> {
  const [row] = await sql<ChatContext>(CONTEXT, [...scopeParams(caller), sessionId]);
  return row;
}

export interface MessageInsert {
  /** Chosen by the server before the statement, so the activity row of the same statement can name it. */
  id: string;
  orgId: string;
  sessionId: string;
  agentId: string | null;
  userId: string | null;
  content: string;
}
export interface ReplyInsert {
  id: string;
  agentId: string;
  content: string;
  status: 'complete' | 'incomplete' | 'failed';
  model: string;
  inputTokens: number;
  outputTokens: number;
  creditMicro: bigint;
}

/** A message row as the statements return it (bigint as text). */
export interface WrittenRow {
  id: string;
  orgId: string;
  sessionId: string;
  agentId: string | null;
  userId: string | null;
  content: string;
  status: 'complete' | 'incomplete' | 'failed';
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  creditMicro: string | null;
  replyToId: string | null;
  createdAt: Date;
}

const COLUMNS = `id, "orgId", "sessionId", "agentId", "userId", content, status, model, "inputTokens", "outputTokens", "creditMicro", "replyToId", "createdAt"`;
// The session's updatedAt moves strictly forward ($3 is the server's clock) and the new rows take it: a
// message and its reply, written together, one millisecond apart.
const TOUCH = (gap: string) =>
  `s AS (UPDATE "Session" SET "updatedAt" = GREATEST($3::timestamptz, "updatedAt" + interval '${gap}') WHERE id = $2::uuid RETURNING "updatedAt")`;
// The message's fields are $4 to $7 (see messageParams).
const INSERT_MESSAGE = (at: string) => `m AS (
  INSERT INTO "Message" (id, "orgId", "sessionId", "agentId", "userId", content, "createdAt")
  SELECT $4::uuid, $1::uuid, $2::uuid, $5::uuid, $6::uuid, $7, ${at} FROM s RETURNING ${COLUMNS})`;
// The reply's eight fields are parameters $n to $n+7 (see replyParams).
const INSERT_REPLY = (n: number, replyTo: string, from: string) => {
  const [id, agent, content, status, model, input, output, cost] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `$${n + i}`);
  return `r AS (
  INSERT INTO "Message" (id, "orgId", "sessionId", "agentId", content, status, model, "inputTokens", "outputTokens", "creditMicro", "replyToId", "createdAt")
  SELECT ${id}::uuid, $1::uuid, $2::uuid, ${agent}::uuid, ${content}, ${status}::"MessageStatus", ${model}, ${input}::int, ${output}::int, ${cost}::bigint, ${replyTo}, s."updatedAt"
  FROM ${from} RETURNING ${COLUMNS}),
debit AS (INSERT INTO "CreditLedger" ("orgId", kind, "amountMicro", "messageId") SELECT $1::uuid, 'debit', -${cost}::bigint, r.id FROM r WHERE ${cost}::bigint > 0),
balance AS (UPDATE "Organization" SET "creditBalanceMicro" = "creditBalanceMicro" - ${cost}::bigint WHERE id = $1::uuid AND ${cost}::bigint > 0)`;
};

// Each change's activity row is one more CTE of the change's own statement, so both commit or neither does.
const ACTIVITY = (name: string, first: number) => `${name} AS (${insertActivitySql(first)})`;
const ACTIVITY_PARAMS = insertActivitySql(1).match(/\$\d+/g)!.length;
// $1..$3 org, session, clock; $4..$7 the message; $8.. its activity row.
const WRITE_MESSAGE = `WITH ${TOUCH('1 millisecond')}, ${INSERT_MESSAGE('s."updatedAt"')}, ${ACTIVITY('am', 8)} SELECT * FROM m`;
// $4 is the message the reply answers, $5..$12 the reply, $13.. its activity row.
const WRITE_REPLY = `WITH ${TOUCH('1 millisecond')}, ${INSERT_REPLY(5, '$4::uuid', 's')}, ${ACTIVITY('ar', 13)} SELECT * FROM r`;
// $4..$7 are the message, $8..$15 the reply, then the message's activity row and the reply's.
const WRITE_BOTH = `WITH ${TOUCH('2 milliseconds')}, ${INSERT_MESSAGE(`s."updatedAt" - interval '1 millisecond'`)}, ${INSERT_REPLY(8, 'm.id', 's, m')},
${ACTIVITY('am', 16)}, ${ACTIVITY('ar', 16 + ACTIVITY_PARAMS)}
SELECT 0 AS ord, * FROM m UNION ALL SELECT 1 AS ord, * FROM r ORDER BY ord`;

const messageParams = (m: MessageInsert, now: Date) => [m.orgId, m.sessionId, now, m.id, m.agentId, m.userId, m.content];
const replyParams = (r: ReplyInsert) => [r.id, r.agentId, r.content, r.status, r.model, r.inputTokens, r.outputTokens, r.creditMicro.toString()];

/** Stores the incoming message alone, with its activity row (a stream stores it before the model is called). */
export async function writeMessage(sql: Sql, m: MessageInsert, now: Date, activity: ActivityLog, entry: ActivityEntry): Promise<WrittenRow> {
  const [row] = await sql<WrittenRow>(WRITE_MESSAGE, [...messageParams(m, now), ...activity.params(entry)]);
  return row!;
}

/** Stores a reply to `replyTo`, its debit and its activity row, in one statement. */
export async function writeReply(
  sql: Sql,
  m: Pick<MessageInsert, 'orgId' | 'sessionId'>,
  r: ReplyInsert,
  replyTo: string,
  now: Date,
  activity: ActivityLog,
  entry: ActivityEntry,
) {
  const [row] = await sql<WrittenRow>(WRITE_REPLY, [m.orgId, m.sessionId, now, replyTo, ...replyParams(r), ...activity.params(entry)]);
  return row!;
}

/** Stores the message, its reply, the debit and both activity rows, in one statement: all of them or none. */
export async function writeMessageAndReply(
  sql: Sql,
  m: MessageInsert,
  r: ReplyInsert,
  now: Date,
  activity: ActivityLog,
  entries: { message: ActivityEntry; reply: ActivityEntry },
): Promise<[WrittenRow, WrittenRow]> {
  const params = [...messageParams(m, now), ...replyParams(r), ...activity.params(entries.message), ...activity.params(entries.reply)];
  const [message, reply] = await sql<WrittenRow & { ord: number }>(WRITE_BOTH, params);
  return [message!, reply!];
}
