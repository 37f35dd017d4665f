import type { OrgInvite, OrgMember, Role } from '@alumia/client';
import { client } from './api.js';

export type { Organization as Org, OrgInvite, OrgMember, Role, WorkspaceMember } from '@alumia/client';

/** The calls of the organization, workspace and sharing pages, in one place. */
export type ShareLink = Awaited<ReturnType<typeof client.projects.shareLinks.list>>['items'][number];

const all = async <T>(pages: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of pages) out.push(x);
  return out;
};

export const orgApi = {
  get: () => client.org.get(),
  update: (changes: { name?: string; defaultModel?: string | null }) => client.org.update(changes),
  members: (): Promise<OrgMember[]> => all(client.org.members({ limit: 100 })),
  setRole: (userId: string, role: Role) => client.org.updateMember(userId, role),
  removeMember: (userId: string) => client.org.removeMember(userId),
  invites: (): Promise<OrgInvite[]> => all(client.org.invites({ limit: 100 })),
  invite: (body: { email: string; role: Role }) => client.org.createInvite(body),
  revokeInvite: (id: string) => client.org.revokeInvite(id),
  accept: (body: { token: string; password: string; name?: string }) => client.org.acceptInvite(body),
};

export const workspaceApi = {
  list: async () => (await client.workspaces.list()).items,
  create: (body: { name: string }) => client.workspaces.create(body),
  rename: (id: string, name: string) => client.workspaces.update(id, { name }),
  remove: (id: string) => client.workspaces.delete(id),
  members: async (id: string) => (await client.workspaces.members(id)).items,
  grant: (id: string, userId: string) => client.workspaces.grant(id, userId),
  revoke: (id: string, userId: string) => client.workspaces.revoke(id, userId),
};

export const sharingApi = {
  addParticipant: (session: string, agentId: string) => client.sessions.addParticipant(session, agentId),
  removeParticipant: (session: string, agentId: string) => client.sessions.removeParticipant(session, agentId),
  links: async (project: string) => (await client.projects.shareLinks.list(project)).items,
  createLink: (project: string, body: { expiresAt?: string | null }) => client.projects.shareLinks.create(project, body),
  revokeLink: (project: string, id: string) => client.projects.shareLinks.revoke(project, id),
};
