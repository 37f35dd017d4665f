import type { ApiKeyCreated, DeviceLogin } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type PrismaClient } from '../db/database.js';
import {
  DEVICE_CODE_TTL_MS,
  POLL_INTERVAL_SECONDS,
  deviceKeyName,
  formatUserCode,
  generateDeviceCode,
  generateUserCode,
  normalizeUserCode,
  pollOutcome,
  sha256,
  verificationUris,
  type DeviceStatus,
} from '../domain/device-login.js';
import type { KeyEnv } from '../domain/keys.js';
import { ApiError, notFound } from '../errors.js';
import { actorOf, type ActivityLog } from './activity.js';
import { keyActivity, mintKey } from './api-keys.js';
import type { Caller } from './caller.js';
import { iso } from './serialize.js';

interface Row {
  id: string;
  userCodeHash: string;
  clientName: string | null;
  status: string;
  expiresAt: Date;
  userId: string | null;
}

/**
 * Device logins (RFC 8628). A row belongs to nobody until a signed-in user approves it; the key is minted
 * only when the client exchanges its device code, so the key exists in plain text only in that answer.
 */
export class DeviceLoginStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly activity: ActivityLog,
    private readonly keyEnv: KeyEnv,
  ) {}

  async create(clientName: string, origin: string) {
    const deviceCode = generateDeviceCode();
    const userCode = generateUserCode();
    await this.prisma.deviceLogin.create({
      data: {
        deviceCodeHash: sha256(deviceCode),
        userCodeHash: sha256(normalizeUserCode(userCode)!),
        clientName: clientName.trim() || null,
        intervalSec: POLL_INTERVAL_SECONDS,
        expiresAt: new Date(Date.now() + DEVICE_CODE_TTL_MS),
      },
    });
    return { deviceCode, userCode, ...verificationUris(origin, userCode), interval: POLL_INTERVAL_SECONDS, expiresIn: DEVICE_CODE_TTL_MS / 1000 };
  }

  /** A live code anyone signed in may see while pending; once decided, only the user who decided it. */
  async find(caller: Caller, typed: string): Promise<DeviceLogin> {
    const { row, code } = await this.live(caller, typed);
    return toDeviceLogin(row, code);
  }

  approve(caller: Caller, typed: string): Promise<DeviceLogin> {
    return this.decide(caller, typed, 'approved');
  }

  deny(caller: Caller, typed: string): Promise<DeviceLogin> {
    return this.decide(caller, typed, 'denied');
  }

  /** One poll: an RFC 8628 error in the envelope, or the key, once. */
  async exchange(deviceCode: string): Promise<ApiKeyCreated> {
    const now = new Date();
    const row = await this.prisma.deviceLogin.findUnique({ where: { deviceCodeHash: sha256(deviceCode) } });
    if (!row) throw pollError('expired_token');
    const outcome = pollOutcome({ ...row, status: row.status as DeviceStatus }, now);
    if (outcome.kind === 'error') {
      if (row.status === 'pending') {
        await this.prisma.deviceLogin.update({ where: { id: row.id }, data: { lastPolledAt: now, intervalSec: outcome.intervalSec } });
      }
      throw pollError(outcome.error, outcome.intervalSec);
    }
    const minted = await this.prisma.$transaction(async (tx) => {
      // Only one exchange wins: the row turns spent before the key exists.
      const { count } = await tx.deviceLogin.updateMany({ where: { id: row.id, status: 'approved' }, data: { status: 'spent', lastPolledAt: now } });
      const user = row.userId && row.orgId ? await tx.user.findFirst({ where: { id: row.userId, deletedAt: null }, select: { email: true, name: true } }) : null;
      const member = user ? await tx.membership.findUnique({ where: { orgId_userId: { orgId: row.orgId!, userId: row.userId! } }, select: { role: true } }) : null;
      if (count !== 1 || !user || !member) return undefined;
      const name = deviceKeyName(row.clientName);
      const key = await mintKey(tx, { orgId: row.orgId!, userId: row.userId!, name, scopes: ['*'], env: this.keyEnv, expiresAt: null });
      await tx.deviceLogin.update({ where: { id: row.id }, data: { apiKeyId: key.id } });
      const actor = actorOf({ via: 'session', keyId: null, keyName: user.email, userId: row.userId!, userName: user.name });
      await this.activity.record(sqlThroughPrisma(tx), keyActivity('api_key.minted', actor, { id: key.id, orgId: row.orgId!, userId: row.userId!, name }));
      return key;
    });
    if (!minted) throw pollError('expired_token');
    return minted;
  }

  private async live(caller: Caller, typed: string): Promise<{ row: Row; code: string }> {
    const code = normalizeUserCode(typed);
    if (!code) throw notFound('Device login');
    const row = await this.prisma.deviceLogin.findUnique({ where: { userCodeHash: sha256(code) } });
    if (!row || row.expiresAt.getTime() <= Date.now()) throw notFound('Device login');
    if (row.status !== 'pending' && row.userId !== caller.userId) throw notFound('Device login');
    return { row, code };
  }

  private async decide(caller: Caller, typed: string, status: 'approved' | 'denied'): Promise<DeviceLogin> {
    const { row, code } = await this.live(caller, typed);
    const { count } = await this.prisma.deviceLogin.updateMany({
      where: { id: row.id, status: 'pending', expiresAt: { gt: new Date() } },
      data: { status, userId: caller.userId, orgId: caller.orgId },
    });
    if (count !== 1) throw notFound('Device login');
    return toDeviceLogin({ ...row, status }, code);
  }
}

function pollError(error: string, intervalSec?: number): ApiError {
  const hint = error === 'slow_down' ? `: poll at most every ${intervalSec} s` : '';
  return new ApiError('BAD_REQUEST', `${error}${hint}`, [{ path: 'body.deviceCode', message: error }]);
}

function toDeviceLogin(row: Row, code: string): DeviceLogin {
  const status = row.status === 'spent' ? 'approved' : (row.status as DeviceLogin['status']);
  return { userCode: formatUserCode(code), clientName: row.clientName, expiresAt: iso(row.expiresAt), status };
}
