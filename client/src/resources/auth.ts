import * as sdk from '../../../generated/sdk/index.js';
import { base, type CallOptions, type Transport, unwrap } from '../call.js';
import { AlumiaError } from '../errors.js';
import type { ChangePasswordInput, DataOf, LoginInput, SetPasswordInput } from '../types.js';

/**
 * Dashboard sign-in and account security. These calls work with the `alumia_session` cookie, so they are
 * for a page of the server's own origin (`createClient({ credentials: 'same-origin' })`): the server sets
 * and clears the cookie itself, and no method here ever sees its value. An API key is refused by all but
 * `setPassword`.
 */
export class Auth {
  readonly #t: Transport;
  constructor(t: Transport) {
    this.#t = t;
  }

  /** Signs in; the answer sets the cookie and opens the step-up window. Wrong email or password: UNAUTHORIZED. */
  login(body: LoginInput, options?: CallOptions): Promise<DataOf<sdk.LoginResponse>> {
    return unwrap(sdk.login({ ...base(this.#t, options), body }));
  }

  /** Ends the calling session and clears its cookie. */
  logout(options?: CallOptions): Promise<DataOf<sdk.LogoutResponse>> {
    return unwrap(sdk.logout(base(this.#t, options)));
  }

  /** Re-enters the password to reopen the step-up window that browser-only operations need. */
  stepUp(password: string, options?: CallOptions): Promise<DataOf<sdk.StepUpResponse>> {
    return unwrap(sdk.stepUp({ ...base(this.#t, options), body: { password } }));
  }

  /** The current session; UNAUTHORIZED means "sign in". */
  session(options?: CallOptions): Promise<DataOf<sdk.GetAuthSessionResponse>> {
    return unwrap(sdk.getAuthSession(base(this.#t, options)));
  }

  /** The user's sessions that still work, newest first; `current` marks the caller's. */
  sessions(options?: CallOptions): Promise<DataOf<sdk.ListAuthSessionsResponse>> {
    return unwrap(sdk.listAuthSessions(base(this.#t, options)));
  }

  /** Signs out one of the user's own sessions (browser-only: needs step-up). */
  revokeSession(id: string, options?: CallOptions): Promise<DataOf<sdk.RevokeAuthSessionResponse>> {
    return unwrap(sdk.revokeAuthSession({ ...base(this.#t, options), path: { id } }));
  }

  /** Sets a password with the token of a one-time link (`.../set-password#token=...`); the link is then used up. */
  setPassword(body: SetPasswordInput, options?: CallOptions): Promise<DataOf<sdk.SetPasswordFromLinkResponse>> {
    return unwrap(sdk.setPasswordFromLink({ ...base(this.#t, options), body }));
  }

  /** Changes the password (browser-only: needs step-up); every other session of the user ends. */
  changePassword(body: ChangePasswordInput, options?: CallOptions): Promise<DataOf<sdk.ChangePasswordResponse>> {
    return unwrap(sdk.changePassword({ ...base(this.#t, options), body }));
  }

  /** Starts a CLI device login (RFC 8628): public; the answer's deviceCode is for `deviceToken` only. */
  deviceCode(clientName: string, options?: CallOptions): Promise<DataOf<sdk.CreateDeviceCodeResponse>> {
    return unwrap(sdk.createDeviceCode({ ...base(this.#t, options), body: { clientName } }));
  }

  /**
   * Polls a device login: the API key once approved. Until then BAD_REQUEST whose first detail's message is
   * `authorization_pending`, `slow_down`, `access_denied` or `expired_token` (see {@link deviceLoginError}).
   */
  deviceToken(deviceCode: string, options?: CallOptions): Promise<DataOf<sdk.ExchangeDeviceCodeResponse>> {
    return unwrap(sdk.exchangeDeviceCode({ ...base(this.#t, options), body: { deviceCode } }));
  }

  /** The device login a user code names (dashboard session only). */
  getDeviceLogin(userCode: string, options?: CallOptions): Promise<DataOf<sdk.GetDeviceLoginResponse>> {
    return unwrap(sdk.getDeviceLogin({ ...base(this.#t, options), query: { userCode } }));
  }

  /** Approves a device login (browser-only: needs step-up); the key is minted at the client's next poll. */
  approveDeviceLogin(userCode: string, options?: CallOptions): Promise<DataOf<sdk.ApproveDeviceLoginResponse>> {
    return unwrap(sdk.approveDeviceLogin({ ...base(this.#t, options), body: { userCode } }));
  }

  /** Denies a device login: the client's next poll gets `access_denied`. */
  denyDeviceLogin(userCode: string, options?: CallOptions): Promise<DataOf<sdk.DenyDeviceLoginResponse>> {
    return unwrap(sdk.denyDeviceLogin({ ...base(this.#t, options), body: { userCode } }));
  }
}

/** The RFC 8628 reason of a failed `deviceToken` poll, or undefined for any other error. */
export function deviceLoginError(err: unknown): 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token' | undefined {
  if (!(err instanceof AlumiaError) || err.code !== 'BAD_REQUEST') return undefined;
  const reason = err.details.find((d) => d.path === 'body.deviceCode')?.message;
  return reason === 'authorization_pending' || reason === 'slow_down' || reason === 'access_denied' || reason === 'expired_token'
    ? reason
    : undefined;
}
