-- Requests from the public enterprise demo form: the operator's data, outside every organization. The
-- client address is not stored. A second post with one email within 24 hours updates the row (under an
-- advisory lock on the email, see server/data/inquiries.ts), so the email index is not unique.
CREATE TABLE "EnterpriseInquiry" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "company" TEXT NOT NULL,
    "teamSize" TEXT NOT NULL,
    "message" TEXT,
    "submissions" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EnterpriseInquiry_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "EnterpriseInquiry_email_createdAt_idx" ON "EnterpriseInquiry"("email", "createdAt" DESC);
CREATE INDEX "EnterpriseInquiry_list_idx" ON "EnterpriseInquiry"("updatedAt" DESC, "id" DESC);
