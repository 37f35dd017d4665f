-- An agent's peer grants refer to agents, not to their slugs: a slug can be renamed away or taken by a
-- new agent, and the grant must not move with it. Existing grants are carried over to the agents that
-- hold those slugs now. The slug column goes in the same step: a server of the previous release writing
-- it during a rolling deploy fails loudly instead of storing grants that no one reads.
ALTER TABLE "Agent" ADD COLUMN "allowedPeerIds" UUID[] DEFAULT ARRAY[]::UUID[];

UPDATE "Agent" a
SET "allowedPeerIds" = COALESCE((
  SELECT array_agg(p.id ORDER BY array_position(a."allowedPeers", p.slug))
  FROM "Agent" p
  WHERE p."orgId" = a."orgId" AND p."deletedAt" IS NULL AND p.slug = ANY (a."allowedPeers")
), ARRAY[]::UUID[])
WHERE cardinality(a."allowedPeers") > 0;

ALTER TABLE "Agent" DROP COLUMN "allowedPeers";
