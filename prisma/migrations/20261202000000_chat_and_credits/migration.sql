-- Agents answer through models: a message records how it ended and, for a reply, its model, usage and the
-- message it answers. Messages from before this migration were all posted whole, so they are `complete`
-- and are not replies. Credits: a ledger of grants and debits, and the balance it sums to.
CREATE TYPE "MessageStatus" AS ENUM ('complete', 'incomplete', 'failed');
CREATE TYPE "LedgerKind" AS ENUM ('grant', 'debit');

ALTER TABLE "Message"
  ADD COLUMN "status" "MessageStatus" NOT NULL DEFAULT 'complete',
  ADD COLUMN "model" TEXT,
  ADD COLUMN "inputTokens" INTEGER,
  ADD COLUMN "outputTokens" INTEGER,
  ADD COLUMN "creditMicro" BIGINT,
  ADD COLUMN "replyToId" UUID;

ALTER TABLE "Message" ADD CONSTRAINT "Message_replyToId_fkey" FOREIGN KEY ("replyToId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

ALTER TABLE "Organization" ADD COLUMN "creditBalanceMicro" BIGINT NOT NULL DEFAULT 0;

CREATE TABLE "CreditLedger" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "orgId" UUID NOT NULL,
    "kind" "LedgerKind" NOT NULL,
    "amountMicro" BIGINT NOT NULL,
    "messageId" UUID,
    "note" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CreditLedger_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "CreditLedger_messageId_key" ON "CreditLedger"("messageId");
CREATE INDEX "CreditLedger_orgId_createdAt_idx" ON "CreditLedger"("orgId", "createdAt");
ALTER TABLE "CreditLedger" ADD CONSTRAINT "CreditLedger_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
