import type {
  ChangePasswordData,
  ChangePasswordResponse,
  SetPasswordFromLinkData,
  SetPasswordFromLinkResponse,
} from '../../generated/sdk/types.gen.js';
import type { DataLayer } from '../data/index.js';
import { handle, handlePublic, type Operations } from './handler.js';

// The browser session making the change stays signed in (key callers never get here: browser-only).
export function passwordOperations({ passwords }: DataLayer): Operations {
  return {
    setPasswordFromLink: handlePublic<SetPasswordFromLinkData, SetPasswordFromLinkResponse>(200, ({ body }) =>
      passwords.useLink(body.token, body.password),
    ),
    changePassword: handle<ChangePasswordData, ChangePasswordResponse>(200, ({ caller, body }) =>
      passwords.change(caller.userId, body.currentPassword, body.newPassword, caller.browserSessionId),
    ),
  };
}
