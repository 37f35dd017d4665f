import type { PrismaClient } from '../db/database.js';
import { DEDUP_WINDOW_MS, honeypotFilled, normalizeInquiry, type Inquiry, type InquiryInput, type TeamSize } from '../domain/inquiries.js';
import { iso } from './serialize.js';

/**
 * Enterprise inquiries: what strangers sent through the public demo form, kept for the operator of this
 * deployment. They are outside tenancy (tenancy.ts) on purpose: no organization owns them, there is no
 * caller to scope by (the form needs no key, and a key that is sent says nothing about who may read
 * inquiries), and no API operation reads them; the operator does, with the admin command. Giving them an
 * org would only invent an owner. Like machines, they are the deployment's.
 *
 * Personal data kept to what a reply needs: the fields of the form. The client address is not stored; the
 * rate limit that uses it keeps it in its own short-lived bucket only (a hash would not help much: IPv4
 * hashes are reversed by trying all 2^32).
 */

/** An inquiry as the admin command prints it. */
export interface StoredInquiry extends Inquiry {
  id: string;
  /** Posts this inquiry stands for: the first, plus one per update within its 24 hours. */
  submissions: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * One email's posts run one at a time behind a transaction-scoped advisory lock on the email, so "find
 * the inquiry of the last 24 hours, else insert" cannot run twice at once and add two rows. A unique key
 * on (email, day) would be race-free too, but a calendar day is not 24 hours after the first post: one at
 * 23:59 and one at 00:01 would be two inquiries. The lock key is namespaced like the slug allocator's.
 * The database's clock decides the window, read after the lock is held, so the order of the rows is the
 * order in which the posts were applied whatever each server's clock says.
 */
const LOCK_EMAIL = `SELECT pg_advisory_xact_lock(hashtextextended('enterprise-inquiry:' || $1, 0))`;
// A later post without a message keeps the earlier one: nothing the inquirer wrote is lost.
const UPDATE_RECENT = `
  UPDATE "EnterpriseInquiry" SET "name" = $2, "company" = $3, "teamSize" = $4, "message" = COALESCE($5, "message"),
    "submissions" = "submissions" + 1, "updatedAt" = clock_timestamp()
  WHERE "id" = (
    SELECT "id" FROM "EnterpriseInquiry"
    WHERE "email" = $1 AND "createdAt" > clock_timestamp() - $6::integer * interval '1 millisecond'
    ORDER BY "createdAt" DESC LIMIT 1)`;
// The clock is read once: two reads can fall either side of a millisecond, and a new inquiry's
// updatedAt must equal its createdAt.
const INSERT = `
  INSERT INTO "EnterpriseInquiry" ("email", "name", "company", "teamSize", "message", "createdAt", "updatedAt")
  SELECT $1, $2, $3, $4, $5, clock.t, clock.t FROM (SELECT clock_timestamp() AS t) AS clock`;

export class InquiryStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Stores a real inquiry (new, or the update of this email's inquiry of the last 24 hours); a filled
   * honeypot stores nothing. Both answer the same, and the rules run first, so an invalid post is refused
   * alike with or without the honeypot: the answer never tells a bot which field gave it away.
   */
  async submit(input: InquiryInput): Promise<{ received: true }> {
    const inquiry = normalizeInquiry(input);
    if (honeypotFilled(input.website)) return { received: true };
    const params = [inquiry.email, inquiry.name, inquiry.company, inquiry.teamSize, inquiry.message];
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(LOCK_EMAIL, inquiry.email);
      const updated = await tx.$executeRawUnsafe(UPDATE_RECENT, ...params, DEDUP_WINDOW_MS);
      if (updated === 0) await tx.$executeRawUnsafe(INSERT, ...params);
    });
    return { received: true };
  }

  /** Inquiries last posted at or after `since` (all without it), the most recently posted first. */
  async list(since?: Date): Promise<StoredInquiry[]> {
    const rows = await this.prisma.enterpriseInquiry.findMany({
      where: since ? { updatedAt: { gte: since } } : {},
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    });
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      company: r.company,
      teamSize: r.teamSize as TeamSize,
      message: r.message,
      submissions: r.submissions,
      createdAt: iso(r.createdAt),
      updatedAt: iso(r.updatedAt),
    }));
  }
}
