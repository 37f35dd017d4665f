import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations, type Operation } from './helpers/contract-walk.js';
import { changedTables, fingerprint, fingerprintQuery, tableNames } from './helpers/db-state.js';
import { PasswordStore } from '../server/data/passwords.js';
import { hashSessionToken } from '../server/domain/browser-sessions.js';
import { signIn } from './helpers/browser-session.js';
import { SERVER_OWNED } from './helpers/fixtures.js';
import { startHarness, uniq, type Harness, type Tenant } from './helpers/harness.js';
import { httpClient, type HttpClient, type RawAnswer } from './helpers/http-client.js';
import { listen } from './helpers/raw-http.js';

/**
 * Tenant isolation (OWASP API1 broken object level authorization, API3 broken object property level
 * authorization, API5 broken function level authorization), as a matrix over the contract:
 * - two organizations; in org A an owner, an admin and two members, each with a workspace of their own;
 *   in org B an owner and a member;
 * - for every route of the contract with an `{id}` and every method on it, every identity that must not
 *   see a row gets 404 (403 on browser-only routes, for everyone), by UUID, upper-case UUID and slug,
 *   and the database is unchanged afterwards;
 * - every list never shows a row its caller may not see, including rows reachable only through another
 *   workspace (an agent's sessions, peer messages and peers);
 * - every writable operation refuses server-owned fields in its body (mass assignment) with 400 and
 *   changes nothing.
 * The route tables are checked against generated/openapi.json, so a new route without coverage fails.
 */

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let client: HttpClient;
let tables: string[];
let fpQuery: string;

type Who = 'ownerA' | 'adminA' | 'memberA1' | 'memberA2' | 'ownerB' | 'memberB';
const WHO: Who[] = ['ownerA', 'adminA', 'memberA1', 'memberA2', 'ownerB', 'memberB'];
const people = {} as Record<Who, Tenant>;
/** Each identity also signed in to the dashboard: its session cookie's value. */
const cookies = {} as Record<Who, string>;
const PASSWORD = 'isolation matrix password';

type Kind = 'agent' | 'session' | 'apiKey' | 'workspace' | 'project' | 'block' | 'browserSession' | 'orgInvite' | 'webhook' | 'activity';
interface Row {
  kind: Kind;
  label: string;
  id: string;
  slug?: string;
  orgId: string;
  /** null for org-wide rows (Ala). */
  workspaceId: string | null;
  /** The user a key belongs to. */
  userId?: string;
  /** A block's project (its path names it). */
  project?: Row;
  /** A webhook endpoint's delivery (`{deliveryId}`), an agent's trigger (`{triggerId}`). */
  deliveryId?: string;
  triggerId?: string;
  /** An activity row about a user-private subject (an API key, a webhook): its user. */
  privateToUserId?: string | null;
  /** A string that appears in the row and nowhere else, to search list answers for. */
  marker: string;
  deleted?: boolean;
}
const rows: Row[] = [];

const OPS = operations();
/** Refused requests per {id} route, reported at the end. */
const attacks = new Map<string, number>();

async function call(who: Who | null, method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<RawAnswer> {
  return client.send({
    method: method.toUpperCase(),
    path: `/api/v1${path}`,
    headers: {
      ...extra,
      ...(who ? { authorization: `Bearer ${people[who].key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function ok(who: Who, method: string, path: string, body?: unknown) {
  const res = await call(who, method, path, body);
  if (res.status >= 300) throw new Error(`fixture ${who} ${method} ${path}: ${res.status} ${res.text}`);
  return res.json.data;
}

/** Whether `who` may see `row` at all (not whether a list shows it). */
function visible(who: Who, row: Row): boolean {
  const p = people[who];
  if (row.orgId !== p.orgId) return false;
  const member = p.role === 'member';
  if (row.kind === 'apiKey') return !member || row.userId === p.userId;
  // A dashboard session is its user's alone, whatever the role.
  if (row.kind === 'browserSession') return row.userId === p.userId;
  if (row.kind === 'workspace') return !member || row.id === p.workspaceId;
  // Invites and webhook endpoints are for the org's owners and admins.
  if (row.kind === 'orgInvite' || row.kind === 'webhook') return !member;
  // An activity row as the feed shows it: a private one to its user and to owners and admins.
  if (row.kind === 'activity' && row.privateToUserId && member && row.privateToUserId !== p.userId) return false;
  // A block is as visible as its project; agents, sessions and projects by their workspace.
  return !member || row.workspaceId === null || row.workspaceId === p.workspaceId;
}

async function addAgent(who: Who, label: string, extra: Record<string, unknown> = {}) {
  const marker = `agent-marker-${randomUUID()}`;
  const a = await ok(who, 'post', '/agents', { name: `${label} ${uniq('n')}`, description: marker, ...extra });
  rows.push({ kind: 'agent', label, id: a.id, slug: a.slug, orgId: a.orgId, workspaceId: a.workspaceId, marker });
  return a;
}

async function addSession(who: Who, label: string, agentIds: string[], metadata: Record<string, unknown> = {}) {
  const marker = `session-marker-${randomUUID()}`;
  const s = await ok(who, 'post', '/sessions', { agentIds, title: marker, metadata });
  rows.push({ kind: 'session', label, id: s.id, orgId: s.orgId, workspaceId: s.workspaceId, marker });
  return s;
}

async function addProject(who: Who, label: string) {
  const marker = `project-marker-${randomUUID()}`;
  const p = await ok(who, 'post', '/projects', { name: `${label} ${uniq('p')}`, description: marker });
  const row: Row = { kind: 'project', label, id: p.id, slug: p.slug, orgId: p.orgId, workspaceId: p.workspaceId, marker };
  rows.push(row);
  return row;
}

async function addBlock(who: Who, project: Row, label: string) {
  const marker = `block-marker-${randomUUID()}`;
  const b = await ok(who, 'post', `/projects/${project.id}/blocks`, { type: 'text', content: { text: marker } });
  const row: Row = { kind: 'block', label, id: b.id, orgId: project.orgId, workspaceId: project.workspaceId, marker, project };
  rows.push(row);
  return row;
}

beforeAll(async () => {
  // Agents answer on the free local model, so chats (and their replies and usage) need no provider.
  h = await startHarness({ DEFAULT_MODEL: 'alumia-local' });
  server = await listen(h.app);
  client = httpClient(server.port, { maxSockets: 4 });
  people.ownerA = await h.tenant();
  people.adminA = await h.colleague(people.ownerA, { role: 'admin' });
  people.memberA1 = await h.colleague(people.ownerA, { role: 'member' });
  people.memberA2 = await h.colleague(people.ownerA, { role: 'member' });
  people.ownerB = await h.tenant();
  people.memberB = await h.colleague(people.ownerB, { role: 'member' });

  for (const who of WHO) {
    const p = people[who];
    const ws = await h.db.prisma.workspace.findUniqueOrThrow({ where: { id: p.workspaceId } });
    if (!rows.some((r) => r.id === ws.id))
      rows.push({
        kind: 'workspace',
        label: `${who}'s workspace`,
        id: ws.id,
        slug: ws.slug,
        orgId: ws.orgId,
        workspaceId: ws.id,
        marker: ws.id,
      });
    // A key of their own, minted through the API.
    const marker = `key-marker-${randomUUID()}`;
    const k = await ok(who, 'post', '/api-keys', { name: marker });
    rows.push({ kind: 'apiKey', label: `${who}'s key`, id: k.id, orgId: p.orgId, workspaceId: null, userId: p.userId, marker });
    // Ala of each org (org-wide: every member of the org sees it; nobody outside).
    const ala = await ok(who, 'get', '/agents/ala');
    if (!rows.some((r) => r.id === ala.id))
      rows.push({ kind: 'agent', label: `Ala of ${p.orgSlug}`, id: ala.id, orgId: ala.orgId, workspaceId: null, marker: ala.id });
  }

  // Every identity: an agent, a session with a user message, a peer session with an agent message.
  const agents = {} as Record<Who, any>;
  for (const who of WHO) {
    agents[who] = await addAgent(who, `${who}'s agent`, { allowedPeers: ['ala'] });
    const s = await addSession(who, `${who}'s session`, [agents[who].id]);
    await ok(who, 'post', `/sessions/${s.id}/messages`, { content: `message-marker-${randomUUID()}` });
    // A chat: a user message and the agent's reply, counted in the org's usage by agent.
    await ok(who, 'post', `/sessions/${s.id}/chat`, { content: `message-marker-${randomUUID()}` });
    const peer = await addSession(who, `${who}'s peer session`, [agents[who].slug, 'ala'], { relationship: 'peer' });
    await ok(who, 'post', `/sessions/${peer.id}/messages`, { content: `message-marker-${randomUUID()}`, agentId: agents[who].slug });
    // Deleted rows must stay as invisible to others as live ones (a second DELETE answers 200 only to those who may see them).
    const gone = await addAgent(who, `${who}'s deleted agent`);
    await ok(who, 'delete', `/agents/${gone.id}`);
    rows.find((r) => r.id === gone.id)!.deleted = true;
    const goneSession = await addSession(who, `${who}'s deleted session`, ['ala']);
    await ok(who, 'delete', `/sessions/${goneSession.id}`);
    rows.find((r) => r.id === goneSession.id)!.deleted = true;
    // A project with blocks (one names the identity's agent), a session in it, and a deleted project with a block.
    const project = await addProject(who, `${who}'s project`);
    await addBlock(who, project, `${who}'s block`);
    await ok(who, 'post', `/projects/${project.id}/blocks`, { type: 'agent', content: { agentId: agents[who].id } });
    await ok(who, 'post', '/sessions', { agentIds: [agents[who].id], projectId: project.id, title: `session-marker-${randomUUID()}` });
    const goneProject = await addProject(who, `${who}'s deleted project`);
    const goneBlock = await addBlock(who, goneProject, `${who}'s block in a deleted project`);
    await ok(who, 'delete', `/projects/${goneProject.id}`);
    goneProject.deleted = true;
    goneBlock.deleted = true;
  }
  // Traps across workspaces of one org: rows a member can reach only through something they can see.
  // memberA1's agent names memberA2's agent as a peer (memberA1 cannot set that, a dashboard session of the
  // owner can: written here directly)...
  const peering = await addAgent('memberA1', "memberA1's agent peering into memberA2's workspace", { allowedPeers: ['ala'] });
  const alaA = rows.find((r) => r.kind === 'agent' && r.orgId === peering.orgId && r.label.startsWith('Ala of'))!;
  await h.db.prisma.agent.update({ where: { id: peering.id }, data: { allowedPeerIds: [agents.memberA2.id, alaA.id] } });
  // ...and the owner puts memberA1's agent into a session (and a peer conversation) in the owner's workspace.
  await addSession('ownerA', "ownerA's session with memberA1's agent", [agents.memberA1.id]);
  const ownerPeer = await addSession('ownerA', "ownerA's peer session with memberA1's agent", [agents.memberA1.id, 'ala'], {
    relationship: 'peer',
  });
  await ok('ownerA', 'post', `/sessions/${ownerPeer.id}/messages`, {
    content: `message-marker-${randomUUID()}`,
    agentId: agents.memberA1.id,
  });
  // In org B, an agent with the same slug as one in org A: a slug always resolves within the caller's org.
  const twin = rows.find((r) => r.label === "memberA1's agent")!;
  const twinB = await ok('ownerB', 'post', '/agents', { name: 'Twin In B' });
  await ok('ownerB', 'patch', `/agents/${twinB.id}`, { slug: twin.slug });
  rows.push({
    kind: 'agent',
    label: "ownerB's twin-slug agent",
    id: twinB.id,
    slug: twin.slug,
    orgId: twinB.orgId,
    workspaceId: twinB.workspaceId,
    marker: twinB.id,
  });

  // Every identity signs in to the dashboard too (a cookie caller, with the same role and workspace), and
  // ownerA's key may sign in (the mass-assignment bodies); memberB's password comes from a one-time link.
  const passwords = new PasswordStore(h.db.prisma);
  for (const who of WHO) {
    await passwords.setPassword(people[who].userId, PASSWORD);
    cookies[who] = (await signIn(h.http, people[who].email, PASSWORD)).token;
    const session = await h.db.prisma.browserSession.findFirstOrThrow({ where: { tokenHash: hashSessionToken(cookies[who]) } });
    rows.push({
      kind: 'browserSession',
      label: `${who}'s dashboard session`,
      id: session.id,
      orgId: people[who].orgId,
      workspaceId: null,
      userId: people[who].userId,
      marker: session.id,
    });
  }
  WRITABLE.login!.body.email = people.ownerA.email;
  // An open invite in each org (browser-only: made by the owner's dashboard session), and one to accept.
  const invite = async (who: Who, email: string) => {
    const headers = { cookie: `alumia_session=${cookies[who]}`, 'sec-fetch-site': 'same-origin' };
    const res = await call(null, 'post', '/org/invites', { email, role: 'member' }, headers);
    if (res.status !== 201) throw new Error(`fixture invite: ${res.status} ${res.text}`);
    return res.json.data as { id: string; url: string };
  };
  for (const who of ['ownerA', 'ownerB'] as const) {
    const marker = `${uniq('invitee')}@example.test`;
    const made = await invite(who, marker);
    rows.push({ kind: 'orgInvite', label: `${who}'s invite`, id: made.id, orgId: people[who].orgId, workspaceId: null, marker });
  }
  WRITABLE.acceptOrgInvite!.body.token = (await invite('ownerA', `${uniq('joiner')}@example.test`)).url.split('#token=')[1]!;
  WRITABLE.setPasswordFromLink!.body.token = (await passwords.createLink(people.memberB.userId)).token;
  // A device login ownerA's dashboard session approved, for its one exchange.
  const device = await call(null, 'post', '/auth/device/code', { clientName: 'isolation' });
  const { deviceCode, userCode } = device.json.data as { deviceCode: string; userCode: string };
  const approved = await call(
    null,
    'post',
    '/auth/device/approve',
    { userCode },
    { cookie: `alumia_session=${cookies.ownerA}`, 'sec-fetch-site': 'same-origin' },
  );
  if (approved.status !== 200) throw new Error(`fixture device login: ${approved.status} ${approved.text}`);
  WRITABLE.exchangeDeviceCode!.body.deviceCode = deviceCode;

  // A webhook endpoint in each org (browser-only: made by the owner's dashboard session), subscribed to
  // everything, so its own creation's activity row is already a delivery; and a deleted one in org A.
  const webhook = async (who: Who, label: string, deleted = false) => {
    const headers = { cookie: `alumia_session=${cookies[who]}`, 'sec-fetch-site': 'same-origin' };
    const marker = `webhook-marker-${randomUUID()}`;
    const res = await call(
      null,
      'post',
      '/webhooks',
      { url: 'https://93.184.215.14/isolation', events: ['*'], description: marker },
      headers,
    );
    if (res.status !== 201) throw new Error(`fixture webhook: ${res.status} ${res.text}`);
    const id = (res.json.data as { id: string }).id;
    const delivery = await h.db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: id } });
    if (deleted && (await call(null, 'delete', `/webhooks/${id}`, undefined, headers)).status !== 200)
      throw new Error('fixture webhook delete');
    rows.push({ kind: 'webhook', label, id, orgId: people[who].orgId, workspaceId: null, marker, deliveryId: delivery.id, deleted });
  };
  await webhook('ownerA', "ownerA's webhook");
  await webhook('ownerA', "ownerA's deleted webhook", true);
  await webhook('ownerB', "ownerB's webhook");
  // A trigger URL for each identity's agent, written directly (a sha256 token hash, as the trigger store keeps).
  for (const who of WHO) {
    const agent = rows.find((r) => r.label === `${who}'s agent`)!;
    const trigger = await h.db.prisma.agentTrigger.create({
      data: {
        orgId: agent.orgId,
        agentId: agent.id,
        tokenHash: createHash('sha256').update(randomUUID()).digest('hex'),
        description: `trigger-marker-${randomUUID()}`,
        createdByUserId: people[who].userId,
      },
    });
    agent.triggerId = trigger.id;
  }
  // Activity rows as the feed scopes them: an agent's (its workspace), a key's and a webhook's (private to their user).
  const subjects = rows.filter(
    (r) => (r.kind === 'agent' && WHO.some((w) => r.label === `${w}'s agent`)) || r.kind === 'apiKey' || r.kind === 'webhook',
  );
  for (const r of subjects) {
    const a = await h.db.prisma.activity.findFirstOrThrow({ where: { subjectId: r.id }, orderBy: { createdAt: 'asc' } });
    rows.push({
      kind: 'activity',
      label: `${r.label}'s ${a.kind} row`,
      id: a.id,
      orgId: a.orgId,
      workspaceId: a.workspaceId,
      privateToUserId: a.privateToUserId,
      marker: a.id,
    });
  }

  tables = await tableNames(h.db.prisma);
  fpQuery = fingerprintQuery(tables);
}, 120_000);

afterAll(async () => {
  if (attacks.size > 0) {
    const total = [...attacks.values()].reduce((a, b) => a + b, 0);
    console.log(
      `isolation: ${total} cross-tenant requests refused on ${attacks.size} {id} routes (${[...attacks].map(([k, v]) => `${k}: ${v}`).join(', ')}), database unchanged after each`,
    );
  }
  client?.close();
  await server?.close();
  await h?.close();
});

// ---------------------------------------------------------------------------------------------------
// Every {id} route of the contract

interface IdRoute {
  kind: Kind;
  body?: unknown;
}
/** `method path` for every operation of the contract with an `{id}`. */
const ID_ROUTES: Record<string, IdRoute> = {
  'get /workspaces/{id}': { kind: 'workspace' },
  'delete /workspaces/{id}': { kind: 'workspace' },
  'patch /workspaces/{id}': { kind: 'workspace', body: { name: 'Hijacked' } },
  'get /workspaces/{id}/members': { kind: 'workspace' },
  'put /workspaces/{id}/members/{userId}': { kind: 'workspace' },
  'delete /workspaces/{id}/members/{userId}': { kind: 'workspace' },
  'delete /api-keys/{id}': { kind: 'apiKey' },
  'get /agents/{id}': { kind: 'agent' },
  'patch /agents/{id}': { kind: 'agent', body: { name: 'Hijacked', description: 'hijacked' } },
  'delete /agents/{id}': { kind: 'agent' },
  'get /agents/{id}/sessions': { kind: 'agent' },
  'get /agents/{id}/messages': { kind: 'agent' },
  'get /agents/{id}/peers': { kind: 'agent' },
  'get /sessions/{id}': { kind: 'session' },
  'delete /sessions/{id}': { kind: 'session' },
  'get /sessions/{id}/messages': { kind: 'session' },
  'post /sessions/{id}/messages': { kind: 'session', body: { content: 'injected' } },
  'patch /sessions/{id}': { kind: 'session', body: { title: 'Hijacked' } },
  'post /sessions/{id}/chat': { kind: 'session', body: { content: 'injected' } },
  'get /projects/{id}': { kind: 'project' },
  'patch /projects/{id}': { kind: 'project', body: { name: 'Hijacked', description: 'hijacked' } },
  'delete /projects/{id}': { kind: 'project' },
  'get /projects/{id}/blocks': { kind: 'project' },
  'post /projects/{id}/blocks': { kind: 'project', body: { type: 'text', content: { text: 'injected' } } },
  'post /projects/{id}/share-links': { kind: 'project', body: {} },
  'get /projects/{id}/share-links': { kind: 'project' },
  'delete /projects/{id}/share-links/{linkId}': { kind: 'project' },
  'post /sessions/{id}/participants': { kind: 'session', body: { agentId: 'ala' } },
  'delete /sessions/{id}/participants/{agentId}': { kind: 'session' },
  'patch /projects/{id}/blocks/{blockId}': { kind: 'block', body: { content: { text: 'hijacked' } } },
  'delete /projects/{id}/blocks/{blockId}': { kind: 'block' },
  'delete /auth/sessions/{id}': { kind: 'browserSession' },
  'delete /org/invites/{id}': { kind: 'orgInvite' },
  'post /agents/{id}/triggers': { kind: 'agent', body: {} },
  'get /agents/{id}/triggers': { kind: 'agent' },
  'delete /agents/{id}/triggers/{triggerId}': { kind: 'agent' },
  'get /webhooks/{id}': { kind: 'webhook' },
  'patch /webhooks/{id}': { kind: 'webhook', body: { description: 'hijacked' } },
  'delete /webhooks/{id}': { kind: 'webhook' },
  'post /webhooks/{id}/rotate-secret': { kind: 'webhook' },
  'get /webhooks/{id}/deliveries': { kind: 'webhook' },
  'post /webhooks/{id}/deliveries/{deliveryId}/retry': { kind: 'webhook' },
  'get /activity/{id}': { kind: 'activity' },
};
/** A UUID no row has, for a second parameter the row does not name. */
const NO_ROW = randomUUID();
/**
 * What an identity that may not see the row gets: 403 from a browser-only route (every key) and from a
 * route for owners and admins only (a member, of any org, before any row is looked up); 404 otherwise.
 */
const refusal = (op: Operation, row: Row, who: Who) =>
  refusesKeys(op) || (row.kind === 'webhook' && people[who].role === 'member') ? 403 : 404;
/** The same, for a dashboard session of the identity, where keys are not the question. */
const cookieRefusal = (row: Row, who: Who) => (row.kind === 'webhook' && people[who].role === 'member' ? 403 : 404);
const idOps = OPS.filter((o) => o.path.includes('{id}'));
const opOf = (key: string) => idOps.find((o) => `${o.method} ${o.path}` === key)!;

/**
 * The paths that name a row: by UUID, upper-case UUID, and slug where the route takes slugs. A block is
 * named through its own project, and through a project the attacker can see (the block must not be
 * reachable from another project).
 */
function pathsTo(op: Operation, row: Row, who: Who): string[] {
  const takesSlug = op.params.some((p) => p.in === 'path' && p.name === 'id' && p.schema.format !== 'uuid');
  const named = (r: Row) => [r.id, r.id.toUpperCase(), ...(takesSlug && r.slug ? [r.slug] : [])];
  // A workspace grant names a member too: the caller themself.
  if (row.kind !== 'block')
    return named(row).map((ref) =>
      op.path
        .replace('{id}', encodeURIComponent(ref))
        .replace('{userId}', people[who].userId)
        .replace('{deliveryId}', row.deliveryId ?? NO_ROW)
        .replace('{triggerId}', row.triggerId ?? NO_ROW),
    );
  const own = rows.find((r) => r.kind === 'project' && !r.deleted && visible(who, r));
  const projects = [...named(row.project!), ...(own ? [own.id] : [])];
  return [
    ...projects.map((ref) => op.path.replace('{id}', ref).replace('{blockId}', row.id)),
    op.path.replace('{id}', row.project!.id).replace('{blockId}', row.id.toUpperCase()),
  ];
}

describe('every {id} route of the contract answers 404 (or 403 where the contract says so) to every identity that may not see the row', () => {
  it('the table covers every {id} route and method of the contract, and nothing else', () => {
    expect(Object.keys(ID_ROUTES).sort()).toEqual(idOps.map((o) => `${o.method} ${o.path}`).sort());
  });

  it.each(Object.keys(ID_ROUTES))('%s', async (key) => {
    const route = ID_ROUTES[key]!;
    const op = opOf(key);
    const targets = rows.filter((r) => r.kind === route.kind);
    let attempts = 0;
    for (const row of targets) {
      for (const who of WHO) {
        // Browser-only operations answer 403 to every API key, the row's own owner included.
        if (!refusesKeys(op) && visible(who, row)) continue;
        for (const path of pathsTo(op, row, who)) {
          // A slug names the caller's own row when the caller's org has one with that slug.
          const viaSlug = row.slug !== undefined && path.includes(`/${row.slug}`);
          if (viaSlug && rows.some((r) => r.kind === row.kind && r.slug === row.slug && r !== row && visible(who, r))) continue;
          const before = await fingerprint(h.db.prisma, tables, fpQuery);
          const res = await call(who, op.method, path, route.body);
          const context = `${who} ${key} ${row.label} via ${path}: ${res.status} ${res.text}`;
          const expected = refusal(op, row, who);
          expect(op.statuses, key).toContain(expected);
          expect(res.status, context).toBe(expected);
          expect(res.json?.error?.code, context).toBe(expected === 403 ? 'FORBIDDEN' : 'NOT_FOUND');
          // Refused, so nothing changed anywhere.
          expect(changedTables(before, await fingerprint(h.db.prisma, tables, fpQuery)), context).toEqual([]);
          // And the answer does not leak what the row is.
          expect(res.text, context).not.toContain(row.marker);
          attempts++;
          // Workspace and webhook administration: a stepped-up dashboard session of the same user gets the
          // 404 instead (a member the 403 of a route for owners and admins).
          if (refusesKeys(op) && (row.kind === 'workspace' || row.kind === 'webhook') && !visible(who, row)) {
            const headers = { cookie: `alumia_session=${cookies[who]}`, 'sec-fetch-site': 'same-origin' };
            const viaCookie = await call(null, op.method, path, route.body, headers);
            expect(viaCookie.status, `${context} (cookie)`).toBe(cookieRefusal(row, who));
            expect(viaCookie.text, `${context} (cookie)`).not.toContain(row.marker);
            expect(changedTables(before, await fingerprint(h.db.prisma, tables, fpQuery)), `${context} (cookie)`).toEqual([]);
          }
          // A dashboard session of the same user reads no more than its key: the same 404.
          if (op.method === 'get' && !refusesKeys(op)) {
            const viaCookie = await call(null, 'get', path, undefined, { cookie: `alumia_session=${cookies[who]}` });
            expect(viaCookie.status, `${context} (cookie)`).toBe(expected);
            expect(viaCookie.text, `${context} (cookie)`).not.toContain(row.marker);
          }
        }
      }
    }
    expect(attempts, `${key} was attacked`).toBeGreaterThan(5);
    attacks.set(key, attempts);
  });

  it('answers a foreign id exactly like a missing one (same status, code and message)', async () => {
    const missing = randomUUID();
    for (const key of Object.keys(ID_ROUTES)) {
      const op = opOf(key);
      const foreignRow = rows.find((r) => r.kind === ID_ROUTES[key]!.kind && !visible('ownerB', r))!;
      const [foreignPath] = pathsTo(op, foreignRow, 'ownerB');
      const missingPath = op.path
        .replace('{id}', foreignRow.kind === 'block' ? foreignRow.project!.id : missing)
        .replace('{blockId}', missing)
        .replace('{deliveryId}', missing)
        .replace('{triggerId}', missing);
      const a = await call('ownerB', op.method, foreignPath!, ID_ROUTES[key]!.body);
      const b = await call('ownerB', op.method, missingPath, ID_ROUTES[key]!.body);
      expect({ status: a.status, code: a.json.error.code, message: a.json.error.message }, key).toEqual({
        status: b.status,
        code: b.json.error.code,
        message: b.json.error.message,
      });
    }
  });

  it("resolves a slug within the caller's organization: the same slug in two orgs names two agents", async () => {
    const a = rows.find((r) => r.label === "memberA1's agent")!;
    const b = rows.find((r) => r.label === "ownerB's twin-slug agent")!;
    expect(a.slug).toBe(b.slug);
    expect((await ok('memberA1', 'get', `/agents/${a.slug}`)).id).toBe(a.id);
    expect((await ok('ownerB', 'get', `/agents/${a.slug}`)).id).toBe(b.id);
    expect((await ok('ownerA', 'get', `/agents/${a.slug}`)).id).toBe(a.id);
    expect((await call('memberA2', 'get', `/agents/${a.slug}`)).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------------
// Lists

/** Every list answer, for a caller: the contract's list routes, the sub-lists of the caller's own rows and of shared ones. */
function listPaths(who: Who): string[] {
  const p = people[who];
  const own = rows.filter((r) => r.orgId === p.orgId && visible(who, r) && !r.deleted);
  const paths = ['/agents', '/sessions', '/api-keys', '/workspaces', '/dashboard/overview', '/me', '/models', '/projects'];
  // The org and its members are every member's to read; its invites its owners' and admins' (403 to members).
  paths.push('/org', '/org/members', ...(p.role === 'member' ? [] : ['/org/invites']));
  // The activity feed, whole and through each filter that names a row.
  paths.push('/mission-control', '/mission-control?kind=agent.*', '/mission-control?search=marker');
  paths.push('/billing/credits', '/billing/usage', '/billing/usage?groupBy=agent', '/billing/usage?groupBy=model');
  for (const r of own.filter((x) => x.kind === 'agent')) {
    paths.push(`/agents/${r.id}/sessions`, `/agents/${r.id}/messages`, `/agents/${r.id}/peers`, `/agents/${r.id}/triggers`);
  }
  // Webhook endpoints and their delivery logs are for owners and admins (403 to members).
  if (p.role !== 'member') paths.push('/webhooks');
  for (const r of own.filter((x) => x.kind === 'webhook')) paths.push(`/webhooks/${r.id}/deliveries`);
  for (const r of own.filter((x) => x.kind === 'session')) paths.push(`/sessions/${r.id}/messages`);
  for (const r of own.filter((x) => x.kind === 'workspace')) paths.push(`/workspaces/${r.id}/members`);
  for (const r of own.filter((x) => x.kind === 'project')) {
    paths.push(
      `/projects/${r.id}/blocks`,
      `/projects/${r.id}/share-links`,
      `/sessions?projectId=${r.id}`,
      `/mission-control?projectId=${r.id}`,
    );
  }
  for (const r of own.filter((x) => x.kind === 'agent')) paths.push(`/mission-control?agentId=${r.id}`);
  return paths;
}

/** The path with the largest page its operation allows, so one answer holds every row. */
function withLargestPage(path: string): string {
  const [bare, query] = path.split('?');
  const template = bare!.replace(/\/(agents|sessions|projects|workspaces|webhooks)\/[0-9a-f-]{36}/, '/$1/{id}');
  const limit = OPS.find((o) => o.method === 'get' && o.path === template)?.params.find((p) => p.name === 'limit');
  const params = [...(query ? [query] : []), ...(limit ? [`limit=${limit.schema.maximum}`] : [])];
  return params.length > 0 ? `${bare}?${params.join('&')}` : bare!;
}

/** GET operations that answer a list (items) or a summary: each must be in listPaths. */
// A share link's public read (`/share/{token}`) names its row by token: share-links.test.ts covers it.
const LIST_OPERATIONS = OPS.filter((o) => o.method === 'get' && o.keys && !o.path.includes('{id}') && !o.path.includes('{token}'))
  .map((o) => o.path)
  .concat(OPS.filter((o) => o.method === 'get' && /\{id\}\/\w+$/.test(o.path)).map((o) => o.path));

describe('lists never show a row the caller may not see', () => {
  it('covers every list operation of the contract', () => {
    const covered = new Set(
      WHO.flatMap(listPaths).map((p) =>
        p.split('?')[0]!.replace(/\/(agents|sessions|projects|workspaces|webhooks)\/[0-9a-f-]{36}\//, '/$1/{id}/'),
      ),
    );
    for (const path of LIST_OPERATIONS) expect([...covered], path).toContain(path);
  });

  it.each(WHO.flatMap((who) => [[who, 'key'] as const, [who, 'cookie'] as const]))('%s with its %s', async (who, via) => {
    const hidden = rows.filter((r) => !visible(who, r));
    expect(hidden.length).toBeGreaterThan(0);
    // Messages of hidden sessions are hidden too; they carry their own markers, found through the database.
    const hiddenSessions = hidden.filter((r) => r.kind === 'session').map((r) => r.id);
    const hiddenMessages = await h.db.prisma.message.findMany({ where: { sessionId: { in: hiddenSessions } } });
    const secrets = [...hidden.flatMap((r) => [r.id, r.marker]), ...hiddenMessages.flatMap((m) => [m.id, m.content])];
    let checked = 0;
    // A cookie caller is the user, in the user's workspace, with the user's role: it sees what the key sees,
    // plus its own dashboard sessions.
    const paths = via === 'key' ? listPaths(who) : [...listPaths(who), '/auth/sessions', '/auth/session'];
    for (const path of paths) {
      const res =
        via === 'key'
          ? await call(who, 'get', withLargestPage(path))
          : await call(null, 'get', withLargestPage(path), undefined, { cookie: `alumia_session=${cookies[who]}` });
      expect(res.status, `${who} (${via}) GET ${path}: ${res.text}`).toBe(200);
      for (const secret of secrets) expect(res.text.includes(secret), `${who} GET ${path} shows ${secret}`).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(7);
  });

  it("does not let another organization's activity move the caller's dashboard numbers", async () => {
    const numbers = async (who: Who) => {
      const d = await ok(who, 'get', '/dashboard/overview');
      return { agents: d.agents, sessions: d.sessions, messagesLast24h: d.messagesLast24h, activeApiKeys: d.activeApiKeys };
    };
    const beforeA = await Promise.all((['ownerA', 'memberA1'] as Who[]).map(numbers));
    const agent = await ok('ownerB', 'post', '/agents', { name: 'Busy B' });
    const s = await ok('ownerB', 'post', '/sessions', { agentIds: [agent.id] });
    await ok('ownerB', 'post', `/sessions/${s.id}/messages`, { content: 'more' });
    await ok('ownerB', 'post', '/api-keys', { name: 'another' });
    // memberA2's activity is in another workspace of the same org: memberA1's numbers do not move either.
    const agent2 = await ok('memberA2', 'post', '/agents', { name: 'Busy A2' });
    await ok('memberA2', 'post', '/sessions', { agentIds: [agent2.id] });
    expect(await numbers('memberA1')).toEqual(beforeA[1]);
    // The owner sees every workspace, but the dashboard counts the current one (and org-wide rows) only.
    expect(await numbers('ownerA')).toEqual(beforeA[0]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Mass assignment

const sampleValue = (field: string): unknown =>
  field.endsWith('Id') || field === 'id'
    ? randomUUID()
    : field.endsWith('At')
      ? new Date(Date.now() + 86_400_000).toISOString()
      : field === 'isDefault'
        ? true
        : field === 'hash'
          ? 'a'.repeat(64)
          : 'alm_test_abc';

/** For each writable operation: a body it accepts, and the path to send it to. */
/** `as`: who sends it, when not ownerA's key (null: no key, as sign-in is sent). */
const WRITABLE: Record<string, { path: () => string; body: Record<string, unknown>; headers?: Record<string, string>; as?: null }> = {
  createWorkspace: { path: () => '/workspaces', body: { name: 'Mass' } },
  updateWorkspace: { path: () => `/workspaces/${people.ownerA.workspaceId}`, body: { name: 'Mass' } },
  createApiKey: { path: () => '/api-keys', body: { name: 'mass' } },
  createAgent: { path: () => '/agents', body: { name: 'Mass Agent' } },
  updateAgent: { path: () => `/agents/${rows.find((r) => r.label === "ownerA's agent")!.id}`, body: { description: 'mass' } },
  createSession: { path: () => '/sessions', body: { agentIds: ['ala'] } },
  createSessionMessage: {
    path: () => `/sessions/${rows.find((r) => r.label === "ownerA's session")!.id}/messages`,
    body: { content: 'mass' },
  },
  updateSession: { path: () => `/sessions/${rows.find((r) => r.label === "ownerA's session")!.id}`, body: { title: 'mass' } },
  chatSession: { path: () => `/sessions/${rows.find((r) => r.label === "ownerA's session")!.id}/chat`, body: { content: 'mass' } },
  createProject: { path: () => '/projects', body: { name: 'Mass Project' } },
  updateProject: { path: () => `/projects/${rows.find((r) => r.label === "ownerA's project")!.id}`, body: { description: 'mass' } },
  createBlock: {
    path: () => `/projects/${rows.find((r) => r.label === "ownerA's project")!.id}/blocks`,
    body: { type: 'text', content: { text: 'mass' } },
  },
  updateBlock: {
    path: () => {
      const b = rows.find((r) => r.label === "ownerA's block")!;
      return `/projects/${b.project!.id}/blocks/${b.id}`;
    },
    body: { content: { text: 'mass' } },
  },
  createProjectShareLink: { path: () => `/projects/${rows.find((r) => r.label === "ownerA's project")!.id}/share-links`, body: {} },
  addSessionParticipant: {
    path: () => `/sessions/${rows.find((r) => r.label === "ownerA's session")!.id}/participants`,
    body: { agentId: 'ala' },
  },
  askDocs: { path: () => '/docs/ask', body: { question: 'how do I delete an agent' } },
  // A second inquiry from one address within 24 h updates the first: still accepted.
  // Sign-in, as from the server's own page (login is guarded against login CSRF); ownerA's password is set below.
  login: { path: () => '/auth/login', body: { email: '', password: PASSWORD }, headers: { 'sec-fetch-site': 'same-origin' }, as: null },
  setPasswordFromLink: { path: () => '/auth/password/set', body: { token: '', password: PASSWORD } },
  stepUp: { path: () => '/auth/step-up', body: { password: PASSWORD } },
  changePassword: { path: () => '/auth/password/change', body: { currentPassword: PASSWORD, newPassword: `${PASSWORD} 2` } },
  updateOrg: { path: () => '/org', body: { name: 'Mass Org' } },
  updateOrgMember: { path: () => `/org/members/${people.memberA1.userId}`, body: { role: 'member' } },
  createOrgInvite: { path: () => '/org/invites', body: { email: 'mass-invite@example.com', role: 'member' } },
  // Public and guarded against login CSRF like sign-in; the token is one made below.
  acceptOrgInvite: {
    path: () => '/auth/invite/accept',
    body: { token: '', password: PASSWORD },
    headers: { 'sec-fetch-site': 'same-origin' },
    as: null,
  },
  // CLI device login: the two public calls, and the dashboard's (no key may call those).
  createDeviceCode: { path: () => '/auth/device/code', body: { clientName: 'mass' }, as: null },
  exchangeDeviceCode: { path: () => '/auth/device/token', body: { deviceCode: 'mass' }, as: null },
  approveDeviceLogin: { path: () => '/auth/device/approve', body: { userCode: 'BBBB-BBBB' } },
  denyDeviceLogin: { path: () => '/auth/device/deny', body: { userCode: 'BBBB-BBBB' } },
  createWebhook: { path: () => '/webhooks', body: { url: 'https://93.184.215.14/mass', events: ['*'] } },
  updateWebhook: { path: () => `/webhooks/${rows.find((r) => r.label === "ownerA's webhook")!.id}`, body: { description: 'mass' } },
  createAgentTrigger: { path: () => `/agents/${rows.find((r) => r.label === "ownerA's agent")!.id}/triggers`, body: {} },
  createEnterpriseInquiry: {
    path: () => '/enterprise-inquiry',
    body: { name: 'Mass', email: 'mass@example.com', company: 'Mass Co', teamSize: '1-10' },
  },
};
/** Operations no API key may call: browser-only ones, and those only a dashboard session calls. */
const refusesKeys = (op: Operation) => op.browserOnly || !op.keys;
// A trigger's body is free-form JSON handed to the agent: its fields are content, not columns (not in this table).
const writableOps = OPS.filter(
  (o) => (o.method === 'post' || o.method === 'patch' || o.method === 'put') && o.body?.schema.type === 'object',
);

describe('mass assignment: server-owned fields in a body are refused with 400 and change nothing', () => {
  it('the table covers every writable operation of the contract', () => {
    expect(Object.keys(WRITABLE).sort()).toEqual(writableOps.map((o) => o.operationId).sort());
  });

  const cases = writableOps.flatMap((op) =>
    SERVER_OWNED.filter((f) => !(f in (op.body!.schema.properties ?? {}))).map((field) => [op.operationId, field] as const),
  );

  it.each(cases)('%s with %s', async (operationId, field) => {
    const op = OPS.find((o) => o.operationId === operationId)!;
    const { path, body } = WRITABLE[operationId]!;
    const before = await fingerprint(h.db.prisma, tables, fpQuery);
    const res = await call('ownerA', op.method, path(), { ...body, [field]: sampleValue(field) }, WRITABLE[operationId]!.headers);
    const context = `${res.status} ${res.text}`;
    if (refusesKeys(op)) {
      // No API key may call it at all: refused before the body is looked at.
      expect(res.status, context).toBe(403);
    } else {
      expect(res.status, context).toBe(400);
      expect(res.json.error.code).toBe('BAD_REQUEST');
      expect(
        res.json.error.details.map((d: { path: string }) => d.path),
        context,
      ).toContain(`body.${field}`);
    }
    expect(changedTables(before, await fingerprint(h.db.prisma, tables, fpQuery)), context).toEqual([]);
  });

  it('the same bodies without the extra field are accepted (the refusal was about the field)', async () => {
    for (const op of writableOps.filter((o) => !refusesKeys(o))) {
      const { path, body, headers, as } = WRITABLE[op.operationId]!;
      const res = await call(as === null ? null : 'ownerA', op.method, path(), body, headers);
      expect(res.status, `${op.operationId}: ${res.text}`).toBeLessThan(300);
    }
  });
});
