-- Projects with canvas blocks, sessions that may belong to a project, the organization's activity feed
-- (one row per state change, with a trigram index for its search), and the server processes (machines).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE "BlockType" AS ENUM ('text', 'heading', 'code', 'image', 'agent', 'session');

CREATE TABLE "Project" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "orgId" UUID NOT NULL,
    "workspaceId" UUID,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "description" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "settings" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Project_orgId_slug_live_key" ON "Project"("orgId", "slug") WHERE "deletedAt" IS NULL;
CREATE INDEX "Project_list_idx" ON "Project"("orgId", "updatedAt" DESC, "id" DESC) WHERE "deletedAt" IS NULL;
ALTER TABLE "Project" ADD CONSTRAINT "Project_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Project" ADD CONSTRAINT "Project_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Positions are fractional-index strings compared byte by byte, hence the "C" collation.
CREATE TABLE "Block" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "projectId" UUID NOT NULL,
    "type" "BlockType" NOT NULL,
    "content" JSONB NOT NULL DEFAULT '{}',
    "position" TEXT COLLATE "C" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Block_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Block_projectId_position_key" ON "Block"("projectId", "position");
ALTER TABLE "Block" ADD CONSTRAINT "Block_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "Session" ADD COLUMN "projectId" UUID;
CREATE INDEX "Session_project_idx" ON "Session"("projectId", "updatedAt" DESC, "id" DESC) WHERE "deletedAt" IS NULL;
ALTER TABLE "Session" ADD CONSTRAINT "Session_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "Activity" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "orgId" UUID NOT NULL,
    "workspaceId" UUID,
    "privateToUserId" UUID,
    "kind" TEXT NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorId" UUID,
    "actorName" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" UUID NOT NULL,
    "subjectName" TEXT NOT NULL,
    "agentId" UUID,
    "projectId" UUID,
    "machineId" UUID,
    "summary" TEXT NOT NULL,
    "details" JSONB,
    "searchText" TEXT GENERATED ALWAYS AS ("summary" || ' ' || "subjectName") STORED,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Activity_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Activity_feed_idx" ON "Activity"("orgId", "createdAt" DESC, "id" DESC);
CREATE INDEX "Activity_agent_idx" ON "Activity"("agentId", "createdAt" DESC, "id" DESC);
CREATE INDEX "Activity_project_idx" ON "Activity"("projectId", "createdAt" DESC, "id" DESC);
CREATE INDEX "Activity_machine_idx" ON "Activity"("machineId", "createdAt" DESC, "id" DESC);
CREATE INDEX "Activity_kind_idx" ON "Activity"("orgId", "kind", "createdAt" DESC, "id" DESC);
CREATE INDEX "Activity_search_idx" ON "Activity" USING GIN ("searchText" gin_trgm_ops);
ALTER TABLE "Activity" ADD CONSTRAINT "Activity_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Mission control counts an org's agents by workspace and state: from this index alone.
CREATE INDEX "Agent_counts_idx" ON "Agent"("orgId", "workspaceId", "isActive") WHERE "deletedAt" IS NULL;

CREATE TABLE "Machine" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "requestsLast5m" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Machine_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Machine_lastSeenAt_idx" ON "Machine"("lastSeenAt" DESC);
