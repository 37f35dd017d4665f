import * as sdk from '../../../generated/sdk/index.js';
import { base, type CallOptions, type Transport, unwrap } from '../call.js';
import { PageIterator, type PageParams } from '../pagination.js';
import type { AcceptOrgInviteInput, CreateOrgInviteInput, DataOf, OrgInvite, OrgMember, Role, UpdateOrgInput } from '../types.js';

/**
 * The organization: its settings, members and invites. Reading works with any key; every change is
 * browser-only (a dashboard session with step-up, `createClient({ credentials: 'same-origin' })`): an API
 * key gets FORBIDDEN. `acceptInvite` needs neither a key nor a session.
 */
export class Org {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  get(options?: CallOptions): Promise<DataOf<sdk.GetOrgResponse>> {
    return unwrap(sdk.getOrg(base(this.#t, options)));
  }

  /** Changes `name` and/or `defaultModel` (the model new agents get; null: the server's default). */
  update(body: UpdateOrgInput, options?: CallOptions): Promise<DataOf<sdk.UpdateOrgResponse>> {
    return unwrap(sdk.updateOrg({ ...base(this.#t, options), body }));
  }

  /** Every member, oldest first, following pages as you iterate. */
  members(params: PageParams = {}, options?: CallOptions): PageIterator<OrgMember> {
    return new PageIterator((p) => this.membersPage(p, options), params);
  }

  membersPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListOrgMembersResponse>> {
    return unwrap(sdk.listOrgMembers({ ...base(this.#t, options), query: params }));
  }

  /** Sets a member's role; demoting the last owner throws CONFLICT. */
  updateMember(userId: string, role: Role, options?: CallOptions): Promise<DataOf<sdk.UpdateOrgMemberResponse>> {
    return unwrap(sdk.updateOrgMember({ ...base(this.#t, options), path: { userId }, body: { role } }));
  }

  /** Removes a member: their keys of this org stop working at once. The last owner: CONFLICT. */
  removeMember(userId: string, options?: CallOptions): Promise<DataOf<sdk.RemoveOrgMemberResponse>> {
    return unwrap(sdk.removeOrgMember({ ...base(this.#t, options), path: { userId } }));
  }

  /** Invites an email with a role; the answer's `url` is the one-time link, shown this once. */
  createInvite(body: CreateOrgInviteInput, options?: CallOptions): Promise<DataOf<sdk.CreateOrgInviteResponse>> {
    return unwrap(sdk.createOrgInvite({ ...base(this.#t, options), body }));
  }

  /** Open invites, newest first (owners and admins), following pages as you iterate. */
  invites(params: PageParams = {}, options?: CallOptions): PageIterator<OrgInvite> {
    return new PageIterator((p) => this.invitesPage(p, options), params);
  }

  invitesPage(params: PageParams = {}, options?: CallOptions): Promise<DataOf<sdk.ListOrgInvitesResponse>> {
    return unwrap(sdk.listOrgInvites({ ...base(this.#t, options), query: params }));
  }

  revokeInvite(id: string, options?: CallOptions): Promise<DataOf<sdk.RevokeOrgInviteResponse>> {
    return unwrap(sdk.revokeOrgInvite({ ...base(this.#t, options), path: { id } }));
  }

  /** Joins with the link's token; signs nothing in: call `auth.login` with the email and `org` next. */
  acceptInvite(body: AcceptOrgInviteInput, options?: CallOptions): Promise<DataOf<sdk.AcceptOrgInviteResponse>> {
    return unwrap(sdk.acceptOrgInvite({ ...base(this.#t, options), body }));
  }
}
