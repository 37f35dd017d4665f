import { cookieHeaders, givePassword, signIn } from './browser-session.js';
import type { Harness, Tenant } from './harness.js';

// Setting a password ends the user's sessions: each user gets one, once, and later sign-ins reuse it.
const passwords = new Map<string, string>();

/** A new stepped-up dashboard session (login opens the step-up window) of the tenant's user. */
export async function steppedUp(h: Harness, t: Tenant): Promise<{ token: string; headers: Record<string, string>; password: string }> {
  let password = passwords.get(t.userId);
  if (!password) {
    password = await givePassword(h, t);
    passwords.set(t.userId, password);
  }
  const { token } = await signIn(h.http, t.email, password, { org: t.orgSlug });
  return { token, headers: cookieHeaders(token), password };
}
