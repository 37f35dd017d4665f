import type { Role } from '../../generated/sdk/types.gen.js';
import { sqlThroughPrisma, type Prisma, type PrismaClient } from '../db/database.js';
import { SYSTEM_ACTOR } from './activity.js';
import { keyActivity, mintKey } from './api-keys.js';
import { OPERATOR_ACTIVITY, addToLedger, grantActivity } from './credits.js';

export interface BootstrapInput {
  orgSlug: string;
  email: string;
  /** Defaults to owner for the first member of a new org, member otherwise; an existing role is kept. */
  role?: Role;
  workspaceSlug?: string;
  keyEnv: 'live' | 'test';
  keyName?: string;
  /** Credits (in creditMicro) a newly created org starts with: INITIAL_CREDITS. */
  initialCreditMicro?: bigint;
}

export interface BootstrapResult {
  orgId: string;
  orgSlug: string;
  userId: string;
  email: string;
  role: Role;
  workspaceId: string;
  workspaceSlug: string;
  apiKey: string;
}

// Serializes bootstraps (and the first-start check) across processes sharing one database.
const BOOTSTRAP_LOCK = 0x616c756d; // "alum"

/**
 * Makes sure the org, user, membership, workspace and access exist, makes the workspace the user's
 * current one, and mints a full-scope key. Idempotent apart from the new key. The key and a new org's
 * initial credits write their activity rows (actor: system) in the same transaction.
 */
export function bootstrap(prisma: PrismaClient, input: BootstrapInput): Promise<BootstrapResult> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
    return bootstrapIn(tx, input);
  });
}

/** On a database without any organization, creates the default one and returns its first key. */
export function bootstrapFirstStart(prisma: PrismaClient, keyEnv: 'live' | 'test', initialCreditMicro = 0n): Promise<BootstrapResult | undefined> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
    if ((await tx.organization.count()) > 0) return undefined;
    return bootstrapIn(tx, { orgSlug: 'default', email: 'owner@localhost', role: 'owner', keyEnv, initialCreditMicro });
  });
}

/** A new org, with its starting credits as the first row of its ledger. */
async function createOrg(tx: Prisma.TransactionClient, input: BootstrapInput) {
  const org = await tx.organization.create({ data: { slug: input.orgSlug, name: input.orgSlug } });
  const initial = input.initialCreditMicro ?? 0n;
  if (initial > 0n) {
    const note = 'initial credits (INITIAL_CREDITS)';
    await addToLedger(tx, org.id, 'grant', initial, { note });
    await OPERATOR_ACTIVITY.record(sqlThroughPrisma(tx), grantActivity(org, initial, note));
  }
  return org;
}

async function bootstrapIn(tx: Prisma.TransactionClient, input: BootstrapInput): Promise<BootstrapResult> {
  const workspaceSlug = input.workspaceSlug ?? 'default';
  const org = (await tx.organization.findUnique({ where: { slug: input.orgSlug } })) ?? (await createOrg(tx, input));
  const user =
    (await tx.user.findUnique({ where: { email: input.email } })) ??
    (await tx.user.create({ data: { email: input.email } }));
  const existing = await tx.membership.findUnique({ where: { orgId_userId: { orgId: org.id, userId: user.id } } });
  const firstMember = existing === null && (await tx.membership.count({ where: { orgId: org.id } })) === 0;
  const role: Role = input.role ?? existing?.role ?? (firstMember ? 'owner' : 'member');
  const workspace =
    (await tx.workspace.findUnique({ where: { orgId_slug: { orgId: org.id, slug: workspaceSlug } } })) ??
    (await tx.workspace.create({ data: { orgId: org.id, slug: workspaceSlug, name: workspaceSlug } }));
  await tx.workspaceAccess.upsert({
    where: { workspaceId_userId: { workspaceId: workspace.id, userId: user.id } },
    create: { workspaceId: workspace.id, userId: user.id },
    update: {},
  });
  await tx.membership.upsert({
    where: { orgId_userId: { orgId: org.id, userId: user.id } },
    create: { orgId: org.id, userId: user.id, role, currentWorkspaceId: workspace.id },
    update: { role, currentWorkspaceId: workspace.id },
  });
  const key = await mintKey(tx, {
    orgId: org.id,
    userId: user.id,
    name: input.keyName ?? 'bootstrap',
    scopes: ['*'],
    env: input.keyEnv,
    expiresAt: null,
  });
  await OPERATOR_ACTIVITY.record(sqlThroughPrisma(tx), keyActivity('api_key.minted', SYSTEM_ACTOR, { ...key, orgId: org.id, userId: user.id }));
  return {
    orgId: org.id,
    orgSlug: org.slug,
    userId: user.id,
    email: user.email,
    role,
    workspaceId: workspace.id,
    workspaceSlug: workspace.slug,
    apiKey: key.key,
  };
}
