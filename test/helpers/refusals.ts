// Refusals that must write nothing: each checks the error envelope and then the rows the request could have touched.
import { expect } from 'vitest';
import type { ErrorCode } from '../../generated/sdk/types.gen.js';
import { expectError, expectInvalid } from './envelope.js';
import { API } from './fixtures.js';
import type { Harness, Tenant } from './harness.js';

const expectRefusal = (res: Parameters<typeof expectError>[0], code: ErrorCode, paths?: string[]) =>
  paths ? expectInvalid(res, code as 'BAD_REQUEST' | 'VALIDATION_ERROR', paths) : expectError(res, code);

/** A POST /sessions that must be refused; proves that no session or participant row was written. */
export async function refusedCreate(
  h: Harness,
  t: Tenant,
  body: unknown,
  code: 'BAD_REQUEST' | 'FORBIDDEN' | 'VALIDATION_ERROR',
  paths?: string[],
) {
  const sessions = () => h.db.prisma.session.count({ where: { orgId: t.orgId } });
  const participants = () => h.db.prisma.sessionParticipant.count({ where: { session: { orgId: t.orgId } } });
  const [before, beforeParticipants] = [await sessions(), await participants()];
  expectRefusal(
    await h.http
      .post(`${API}/sessions`)
      .set(t.auth)
      .send(body as object),
    code,
    paths,
  );
  expect(await sessions()).toBe(before);
  expect(await participants()).toBe(beforeParticipants);
}

/** A POST /sessions/:id/messages that must be refused; proves no message was written and updatedAt stayed. */
export async function refusedPost(h: Harness, t: Tenant, sessionId: string, body: unknown, code: ErrorCode, paths?: string[]) {
  const row = () => h.db.prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
  const messages = () => h.db.prisma.message.count({ where: { sessionId } });
  const [before, count] = [await row(), await messages()];
  expectRefusal(
    await h.http
      .post(`${API}/sessions/${sessionId}/messages`)
      .set(t.auth)
      .send(body as object),
    code,
    paths,
  );
  expect(await messages()).toBe(count);
  expect((await row()).updatedAt).toEqual(before.updatedAt);
}
