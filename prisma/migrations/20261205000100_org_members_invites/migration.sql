-- Org settings and membership management (issue 14): the org's default model for new agents, the member
-- list's pagination index, and invites. An invite's link carries a random token; only its SHA-256 (hex)
-- is stored. At most one open (not accepted, not revoked) invite per org and email.
ALTER TABLE "Organization" ADD COLUMN "defaultModel" TEXT;

CREATE INDEX "Membership_orgId_createdAt_id_idx" ON "Membership"("orgId", "createdAt", "id");

CREATE TABLE "OrgInvite" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "orgId" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "invitedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "acceptedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "OrgInvite_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "OrgInvite_tokenHash_key" ON "OrgInvite"("tokenHash");
CREATE UNIQUE INDEX "OrgInvite_open_key" ON "OrgInvite"("orgId", "email") WHERE "acceptedAt" IS NULL AND "revokedAt" IS NULL;
CREATE INDEX "OrgInvite_list_idx" ON "OrgInvite"("orgId", "createdAt" DESC, "id" DESC);
ALTER TABLE "OrgInvite" ADD CONSTRAINT "OrgInvite_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
