import type { Response } from 'express';
import type {
  GetAuthSessionData,
  GetAuthSessionResponse,
  ListAuthSessionsData,
  ListAuthSessionsResponse,
  LoginData,
  LogoutData,
  RevokeAuthSessionData,
  RevokeAuthSessionResponse,
  StepUpData,
} from '../../generated/sdk/types.gen.js';
import type { IssuedSession } from '../data/browser-sessions.js';
import type { DataLayer } from '../data/index.js';
import { LOGIN_OPERATION } from '../domain/browser-sessions.js';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from '../plugins/session-cookie.js';
import { handle, handlePublicResponse, handleResponse, sendData, type Operations } from './handler.js';

/** Dashboard sign-in, sign-out, step-up and the user's own sessions. */
export function authOperations(data: DataLayer): Operations {
  const sessions = data.browserSessions;
  const secure = sessions.secureCookies;
  // An answer that sets a cookie must never be stored by a cache and replayed to someone else.
  const answer = (res: Response, issued: IssuedSession) => {
    res.setHeader('Cache-Control', 'no-store');
    setSessionCookie(res, issued.token, new Date(issued.session.expiresAt), secure);
    sendData(res, 200, issued.session);
  };
  return {
    [LOGIN_OPERATION]: handlePublicResponse(async (req, res) => {
      const body = req.body as LoginData['body'];
      answer(res, await sessions.login(body, req.get('user-agent'), readSessionCookie(req)));
    }),
    stepUp: handleResponse<StepUpData>(async ({ caller, body }, _req, res) => answer(res, await sessions.stepUp(caller, body.password))),
    logout: handleResponse<LogoutData>(async ({ caller }, _req, res) => {
      await sessions.logout(caller);
      res.setHeader('Cache-Control', 'no-store');
      clearSessionCookie(res, secure);
      sendData(res, 200, { deleted: true });
    }),
    getAuthSession: handle<GetAuthSessionData, GetAuthSessionResponse>(200, ({ caller }) => sessions.current(caller)),
    listAuthSessions: handle<ListAuthSessionsData, ListAuthSessionsResponse>(200, async ({ caller }) => ({
      items: await sessions.list(caller),
    })),
    revokeAuthSession: handle<RevokeAuthSessionData, RevokeAuthSessionResponse>(200, async ({ caller, path }) => {
      await sessions.revoke(caller, path.id);
      return { deleted: true as const };
    }),
  };
}
