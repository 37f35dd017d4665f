import type {
  AcceptOrgInviteData,
  CreateOrgInviteData,
  GetOrgData,
  GetOrgResponse,
  ListOrgInvitesData,
  ListOrgInvitesResponse,
  ListOrgMembersData,
  ListOrgMembersResponse,
  RemoveOrgMemberData,
  RemoveOrgMemberResponse,
  RevokeOrgInviteData,
  RevokeOrgInviteResponse,
  UpdateOrgData,
  UpdateOrgMemberData,
  UpdateOrgMemberResponse,
  UpdateOrgResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { ownOrigin } from '../plugins/csrf.js';
import { handle, handlePublicResponse, handleResponse, sendData, type Operations } from './handler.js';

/** The organization's settings, members and invites; the mutations are browser-only (contract). */
export function orgOperations({ org, members, invites }: DataLayer): Operations {
  return {
    getOrg: handle<GetOrgData, GetOrgResponse>(200, ({ caller }) => org.get(caller)),
    updateOrg: handle<UpdateOrgData, UpdateOrgResponse>(200, ({ caller, body }) => org.update(caller, body)),
    listOrgMembers: handle<ListOrgMembersData, ListOrgMembersResponse>(200, ({ caller, query }) => members.list(caller, query)),
    updateOrgMember: handle<UpdateOrgMemberData, UpdateOrgMemberResponse>(200, ({ caller, path, body }) =>
      members.update(caller, path.userId, body.role),
    ),
    removeOrgMember: handle<RemoveOrgMemberData, RemoveOrgMemberResponse>(200, async ({ caller, path }) => {
      await members.remove(caller, path.userId);
      return { deleted: true as const };
    }),
    listOrgInvites: handle<ListOrgInvitesData, ListOrgInvitesResponse>(200, ({ caller, query }) => invites.list(caller, query)),
    createOrgInvite: handleResponse<CreateOrgInviteData>(async ({ caller, body }, req, res) =>
      sendData(res, 201, await invites.create(caller, body, ownOrigin(req))),
    ),
    revokeOrgInvite: handle<RevokeOrgInviteData, RevokeOrgInviteResponse>(200, async ({ caller, path }) => {
      await invites.revoke(caller, path.id);
      return { deleted: true as const };
    }),
    // Public, like sign-in; a key sent with it is refused (handlePublicResponse).
    acceptOrgInvite: handlePublicResponse(async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      sendData(res, 200, await invites.accept(req.body as AcceptOrgInviteData['body']));
    }),
  };
}
