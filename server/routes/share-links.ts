import type {
  AddSessionParticipantData,
  AddSessionParticipantResponse,
  CreateProjectShareLinkData,
  CreateProjectShareLinkResponse,
  GetSharedProjectData,
  GetSharedProjectResponse,
  ListProjectShareLinksData,
  ListProjectShareLinksResponse,
  RemoveSessionParticipantData,
  RemoveSessionParticipantResponse,
  RevokeProjectShareLinkData,
  RevokeProjectShareLinkResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { ownOrigin } from '../plugins/csrf.js';
import { handle, handlePublic, handleResponse, sendData, type Operations } from './handler.js';

// Sharing (issue 14): project share links and a session's participants. The mutations are browser-only in
// the contract, so the browser-only plugin has refused every API key before these run.
export function shareLinkOperations({ shareLinks, participants }: DataLayer): Operations {
  return {
    createProjectShareLink: handleResponse<CreateProjectShareLinkData>(async ({ caller, path, body }, req, res) => {
      const created: CreateProjectShareLinkResponse['data'] = await shareLinks.create(caller, path.id, body, ownOrigin(req));
      sendData(res, 201, created);
    }),
    listProjectShareLinks: handle<ListProjectShareLinksData, ListProjectShareLinksResponse>(200, ({ caller, path }) =>
      shareLinks.list(caller, path.id),
    ),
    revokeProjectShareLink: handle<RevokeProjectShareLinkData, RevokeProjectShareLinkResponse>(200, ({ caller, path }) =>
      shareLinks.revoke(caller, path.id, path.linkId),
    ),
    getSharedProject: handlePublic<GetSharedProjectData, GetSharedProjectResponse>(200, ({ path }) => shareLinks.shared(path.token)),
    addSessionParticipant: handle<AddSessionParticipantData, AddSessionParticipantResponse>(201, ({ caller, path, body }) =>
      participants.add(caller, path.id, body.agentId),
    ),
    removeSessionParticipant: handle<RemoveSessionParticipantData, RemoveSessionParticipantResponse>(200, ({ caller, path }) =>
      participants.remove(caller, path.id, path.agentId),
    ),
  };
}
