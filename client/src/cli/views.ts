// How each resource is shown to a person: a table row per item for lists, label/value pairs for one item.
// Shared here because more than one command group shows the same resource (agents in dashboard, sessions
// in agents).
import type { Agent, ApiKey, Me, Session } from '../client.js';
import { fields, list, oneLine, relativeTime, table, when, type Colors } from './output.js';

const active = (c: Colors, yes: boolean) => (yes ? c.green('yes') : c.red('no'));

export function agentsTable(c: Colors, agents: Agent[]) {
  return table(
    c,
    ['SLUG', 'NAME', 'MODEL', 'ACTIVE', 'UPDATED'],
    agents.map((a) => [c.cyan(a.slug), oneLine(a.name, 40), a.model, active(c, a.isActive), relativeTime(a.updatedAt)]),
  );
}

export function agentFields(c: Colors, a: Agent) {
  const voice = a.settings.voice;
  return fields(c, [
    ['ID', a.id],
    ['Slug', c.cyan(a.slug)],
    ['Name', a.name],
    ['Model', a.model],
    ['Active', active(c, a.isActive)],
    ['Description', a.description ?? '-'],
    ['System prompt', oneLine(a.systemPrompt, 100) || '-'],
    ['Avatar', a.avatar],
    ['Workspace', a.workspaceId ?? 'organization-wide'],
    ['Allowed tools', list(a.allowedTools)],
    ['Allowed peers', list(a.allowedPeers)],
    ['Allowed connectors', list(a.allowedConnectors)],
    ['Voice', `${voice.provider} ${voice.voiceId}, ${voice.language}, speed ${voice.speed}, pitch ${voice.pitch}`],
    ['Created', when(c, a.createdAt)],
    ['Updated', when(c, a.updatedAt)],
  ]);
}

/** `metadata.relationship` is free-form in answers, though the API only accepts `direct`, `group` or `peer`. */
function relationshipCell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

export function sessionsTable(c: Colors, sessions: Session[]) {
  return table(
    c,
    ['ID', 'TITLE', 'AGENTS', 'RELATIONSHIP', 'UPDATED'],
    sessions.map((s) => [
      s.id,
      oneLine(s.title, 40) || c.dim('(untitled)'),
      String(s.agentIds.length),
      relationshipCell(s.metadata.relationship),
      relativeTime(s.updatedAt),
    ]),
  );
}

export function sessionFields(c: Colors, s: Session) {
  return fields(c, [
    ['ID', s.id],
    ['Title', s.title ?? '-'],
    ['Agents', list(s.agentIds)],
    ['Metadata', JSON.stringify(s.metadata)],
    ['Workspace', s.workspaceId ?? 'organization-wide'],
    ['Created', when(c, s.createdAt)],
    ['Updated', when(c, s.updatedAt)],
  ]);
}

function keyStatus(c: Colors, k: ApiKey, now = Date.now()) {
  if (k.revokedAt) return c.red('revoked');
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return c.yellow('expired');
  return c.green('active');
}

export function keysTable(c: Colors, keys: ApiKey[]) {
  return table(
    c,
    ['ID', 'NAME', 'PREFIX', 'SCOPES', 'STATUS', 'LAST USED', 'CREATED'],
    keys.map((k) => [
      k.id,
      oneLine(k.name, 30),
      k.prefix,
      k.scopes.join(','),
      keyStatus(c, k),
      k.lastUsedAt ? relativeTime(k.lastUsedAt) : 'never',
      relativeTime(k.createdAt),
    ]),
  );
}

export function keyFields(c: Colors, k: ApiKey) {
  return fields(c, [
    ['ID', k.id],
    ['Name', k.name],
    ['Prefix', k.prefix],
    ['Scopes', list(k.scopes)],
    ['Environment', k.env],
    ['Status', keyStatus(c, k)],
    ['Expires', k.expiresAt ? when(c, k.expiresAt) : 'never'],
    ['Revoked', k.revokedAt ? when(c, k.revokedAt) : '-'],
    ['Created', when(c, k.createdAt)],
  ]);
}

export function meFields(c: Colors, me: Me, baseUrl: string) {
  return fields(c, [
    ['User', `${me.user.email}${me.user.name ? ` (${me.user.name})` : ''}`],
    ['Organization', `${me.org.name} (${me.org.slug})`],
    ['Role', me.role],
    ['Workspace', me.currentWorkspace ? `${me.currentWorkspace.name} (${me.currentWorkspace.slug})` : '-'],
    ['API key', me.apiKey ? `${me.apiKey.prefix}… (${me.apiKey.env}, scopes ${me.apiKey.scopes.join(',')})` : 'none (dashboard session)'],
    ['Server', baseUrl],
  ]);
}
