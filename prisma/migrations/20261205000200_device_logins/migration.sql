-- Device login (RFC 8628) for the CLI.
CREATE TABLE "DeviceLogin" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "deviceCodeHash" TEXT NOT NULL,
    "userCodeHash" TEXT NOT NULL,
    "clientName" VARCHAR(100),
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "intervalSec" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "lastPolledAt" TIMESTAMPTZ(3),
    "userId" UUID,
    "orgId" UUID,
    "apiKeyId" UUID,

    CONSTRAINT "DeviceLogin_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "DeviceLogin_deviceCodeHash_key" ON "DeviceLogin"("deviceCodeHash");
CREATE UNIQUE INDEX "DeviceLogin_userCodeHash_key" ON "DeviceLogin"("userCodeHash");
