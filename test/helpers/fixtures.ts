// Rows created through the HTTP API, so every fixture goes through the same rules the tests check. The one
// place tests create, read and delete agents, sessions and messages; each helper asserts the success envelope.
import { expect } from 'vitest';
import type { Agent, ApiKeyCreated, Message, PeerMessage, Session } from '../../generated/sdk/types.gen.js';
import { expectSuccess } from './envelope.js';
import { uniq, type Harness, type Tenant } from './harness.js';

export const API = '/api/v1';

/** Creates an agent in `t`'s current workspace (201) and returns its record. */
export async function createAgent(h: Harness, t: Tenant, body: Record<string, unknown>): Promise<Agent> {
  return expectSuccess<Agent>(await h.http.post(`${API}/agents`).set(t.auth).send(body), 201);
}

/** Reads an agent by UUID or slug (200). */
export async function getAgent(h: Harness, t: Tenant, ref: string): Promise<Agent> {
  return expectSuccess<Agent>(await h.http.get(`${API}/agents/${ref}`).set(t.auth));
}

/** Soft-deletes an agent by UUID or slug: 200 `{ deleted: true }`. */
export async function deleteAgent(h: Harness, t: Tenant, ref: string): Promise<void> {
  expect(expectSuccess(await h.http.delete(`${API}/agents/${ref}`).set(t.auth))).toEqual({ deleted: true });
}

/** Opens a session (201) and returns it. */
export async function createSession(h: Harness, t: Tenant, body: Record<string, unknown>): Promise<Session> {
  return expectSuccess<Session>(await h.http.post(`${API}/sessions`).set(t.auth).send(body), 201);
}

/** Soft-deletes a session: 200 `{ deleted: true }`. */
export async function deleteSession(h: Harness, t: Tenant, id: string): Promise<void> {
  expect(expectSuccess(await h.http.delete(`${API}/sessions/${id}`).set(t.auth))).toEqual({ deleted: true });
}

/** Posts a message to a session (201) and returns it. */
export async function postMessage(h: Harness, t: Tenant, sessionId: string, body: Record<string, unknown>): Promise<Message> {
  return expectSuccess<Message>(await h.http.post(`${API}/sessions/${sessionId}/messages`).set(t.auth).send(body), 201);
}

/** The peer messages of an agent (GET /agents/:id/messages), first page. */
export async function peerMessages(h: Harness, t: Tenant, ref: string, query = ''): Promise<PeerMessage[]> {
  return expectSuccess<{ items: PeerMessage[] }>(await h.http.get(`${API}/agents/${ref}/messages${query}`).set(t.auth)).items;
}

/** Mints an API key for `t`'s user (201) and returns the answer, plaintext key included. */
export async function createApiKey(h: Harness, t: Tenant, body: Record<string, unknown> = { name: 'k' }): Promise<ApiKeyCreated> {
  return expectSuccess<ApiKeyCreated>(await h.http.post(`${API}/api-keys`).set(t.auth).send(body), 201);
}

/** The keys of an agent record, sorted: exactly what the contract's Agent schema lists. */
export const AGENT_KEYS = [
  'allowedConnectors',
  'allowedPeers',
  'allowedTools',
  'avatar',
  'createdAt',
  'description',
  'id',
  'isActive',
  'model',
  'name',
  'orgId',
  'settings',
  'slug',
  'systemPrompt',
  'updatedAt',
  'workspaceId',
];

/** Fields only the server sets: no writable operation may accept one (mass assignment). */
export const SERVER_OWNED = [
  'id',
  'orgId',
  'workspaceId',
  'userId',
  'createdAt',
  'updatedAt',
  'deletedAt',
  'isDefault',
  'hash',
  'prefix',
  'revokedAt',
  'lastUsedAt',
];

/**
 * The people of a workspaces test: an org's owner, admin and member (each member in a workspace of their
 * own), a tenant of another org, and a workspace nobody was granted, which only owners and admins see.
 */
export async function workspaceCast(h: Harness) {
  const owner = await h.tenant();
  const member = await h.colleague(owner, { role: 'member' });
  const admin = await h.colleague(owner, { role: 'admin' });
  const ungranted = await h.db.prisma.workspace.create({ data: { orgId: owner.orgId, slug: uniq('ws'), name: 'Ungranted' } });
  const outsider = await h.tenant();
  return { owner, admin, member, outsider, ungranted };
}

/** Every field of a catalog model, sorted. */
export const MODEL_KEYS = [
  'available',
  'contextWindow',
  'description',
  'id',
  'inputCreditMicroPerMTok',
  'isDefault',
  'name',
  'outputCreditMicroPerMTok',
  'provider',
];
