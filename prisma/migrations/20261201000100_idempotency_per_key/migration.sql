-- Idempotency-Key records belong to the API key that made them, not to its organization: another key
-- reusing the same Idempotency-Key runs as a fresh request and never sees the first one's answer.
-- Records made before this cannot be attributed to a key, so they go (they live 24 hours at most).
DELETE FROM "IdempotencyKey";

ALTER TABLE "IdempotencyKey" DROP CONSTRAINT "IdempotencyKey_pkey";
ALTER TABLE "IdempotencyKey" ADD COLUMN "apiKeyId" UUID NOT NULL;
ALTER TABLE "IdempotencyKey" ADD CONSTRAINT "IdempotencyKey_pkey" PRIMARY KEY ("apiKeyId", "key");
ALTER TABLE "IdempotencyKey" ADD CONSTRAINT "IdempotencyKey_apiKeyId_fkey"
  FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey"("id") ON DELETE CASCADE ON UPDATE CASCADE;
