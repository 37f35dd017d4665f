// `alumia login --web`: the device login of RFC 8628. The person approves in the dashboard; this polls.
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';
import { createClient } from '../../client.js';
import { deviceLoginError } from '../../resources/auth.js';
import type { Context } from '../context.js';
import { AuthError } from '../exit.js';

/** Prints where to approve (stderr), polls at the server's pace, and returns the minted key. */
export async function deviceLogin(ctx: Context): Promise<string> {
  // No key yet: the two device-login calls are public, and a Node process has no cookie to send.
  const anonymous = createClient({ baseUrl: ctx.baseUrl(), credentials: 'omit' });
  const start = await anonymous.auth.deviceCode(`alumia CLI on ${hostname()}`.slice(0, 100));
  ctx.io.stderr.write(
    `Open ${start.verificationUriComplete}\nand confirm the code ${start.userCode} (it expires in ${Math.round(start.expiresIn / 60)} min).\nWaiting for approval...\n`,
  );
  let interval = start.interval;
  const until = Date.now() + start.expiresIn * 1000;
  while (Date.now() < until) {
    await sleep(interval * 1000);
    try {
      return (await anonymous.auth.deviceToken(start.deviceCode)).key;
    } catch (err) {
      const reason = deviceLoginError(err);
      // RFC 8628 §3.5: slow_down adds 5 s to the interval for the rest of the login.
      if (reason === 'slow_down') interval += 5;
      else if (reason === 'access_denied') throw new AuthError('device login denied in the dashboard');
      else if (reason === 'expired_token') throw new AuthError('device login expired: run alumia login --web again');
      else if (reason !== 'authorization_pending') throw err;
    }
  }
  throw new AuthError('device login expired: run alumia login --web again');
}
