// Seeds one benchmark organization straight into the database with SQL, on PostgreSQL (pg) or the
// embedded database (PGlite): the same statements for both. Deterministic apart from ids and keys.
import { randomUUID } from 'node:crypto';
import { generateKey } from '../server/domain/keys.js';
import { slugify } from '../server/domain/slugs.js';

/** What both node-postgres clients and PGlite offer: one statement, no parameters. */
export interface SqlConn {
  query(sql: string): Promise<{ rows: unknown[] }>;
}

export interface SeedOptions {
  agents: number;
  /** Share of the agents in the callers' current workspace (the rest spread over the other workspaces). */
  mainShare: number;
  workspaces: number;
  users: number;
  keys: number;
  sessions: number;
  messagesPerSession: number;
  /** Agents taking part in sessions (the first N of the main workspace). */
  activeAgents: number;
}

export const DEFAULT_SEED: SeedOptions = {
  agents: 10_000,
  mainShare: 0.8,
  workspaces: 5,
  users: 10,
  keys: 100,
  sessions: 3_000,
  messagesPerSession: 10,
  activeAgents: 1_000,
};

export interface SeedInfo {
  orgId: string;
  orgSlug: string;
  ownerId: string;
  mainWorkspaceId: string;
  workspaceIds: string[];
  /** Plain live keys (alm_live_...), all with scope `*`, spread over owner, admins and members. */
  keys: string[];
  /** Agents in the main workspace: every key can read them. */
  agentIds: string[];
  agentSlugs: string[];
  /** Agents that wrote messages in peer sessions: GET /agents/:id/messages has data for them. */
  messageAgentIds: string[];
  counts: Record<string, number>;
  ms: number;
}

// Deterministic pseudo-random numbers (mulberry32), so two runs seed the same shapes.
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FIRST_NAMES = [
  'Maya',
  'Noah',
  'Aria',
  'Liam',
  'Zoe',
  'Ethan',
  'Ivy',
  'Lucas',
  'Nora',
  'Mateo',
  'Ada',
  'Felix',
  'Iris',
  'Hugo',
  'Lena',
  'Omar',
  'Ruby',
  'Theo',
  'Mila',
  'Jonas',
  'Clara',
  'Leo',
  'Elena',
  'Milo',
  'Sofia',
  'Kai',
  'Hana',
  'Otto',
  'Yara',
  'Emil',
  'Alma',
  'Rafael',
  'Greta',
  'Nils',
  'Amara',
  'Tobias',
  'Selma',
  'Victor',
  'Lina',
  'Oscar',
  'Freya',
  'Arjun',
  'Mira',
  'Jasper',
  'Esme',
  'Bruno',
  'Talia',
  'Anton',
  'Naomi',
  'Levi',
  'Priya',
  'Silas',
  'Juno',
  'Dario',
  'Elsa',
  'Ravi',
  'Wren',
  'Marco',
  'Layla',
  'Finn',
  'Inez',
  'Tariq',
  'Vera',
  'Ezra',
  'Chloe',
  'Idris',
  'Pia',
  'Samir',
  'Lotte',
  'Axel',
  'Nadia',
  'Remy',
  'Keira',
  'Matteo',
  'Asha',
  'Jonah',
  'Frida',
  'Karim',
  'Lucia',
  'Pablo',
  'Signe',
  'Dmitri',
  'Amelie',
  'Tomas',
  'Rhea',
  'Bastian',
  'Linnea',
  'Youssef',
  'Carmen',
  'Henrik',
  'Anouk',
  'Ibrahim',
  'Matilda',
  'Soren',
  'Leila',
  'Gustav',
  'Zara',
  'Elias',
  'Ines',
  'Kofi',
];
export const LAST_NAMES = [
  'Okafor',
  'Lindqvist',
  'Moreau',
  'Tanaka',
  'Haddad',
  'Novak',
  'Silva',
  'Kowalski',
  'Mensah',
  'Rossi',
  'Fischer',
  'Nakamura',
  'Dubois',
  'Petrov',
  'Almeida',
  'Jansen',
  'Kaur',
  'OBrien',
  'Costa',
  'Weber',
  'Yilmaz',
  'Andersen',
  'Ortiz',
  'Schmidt',
  'Nguyen',
  'Murphy',
  'Bianchi',
  'Horvath',
  'Sato',
  'Ferreira',
  'Larsen',
  'Mendoza',
  'Keller',
  'Ivanova',
  'Rahman',
  'Berg',
  'Santos',
  'Kim',
  'Laurent',
  'Nowak',
  'Hoffmann',
  'Popescu',
  'Eriksson',
  'Romero',
  'Vogel',
  'Chen',
  'Marino',
  'Svensson',
  'Adeyemi',
  'Kuznetsov',
  'Lopez',
  'Meyer',
  'Dimitrov',
  'Park',
  'Fontaine',
  'Wagner',
  'Ali',
  'Hansen',
  'Ricci',
  'Zielinski',
  'Gomez',
  'Bauer',
  'Takahashi',
  'Leclerc',
  'Becker',
  'Ahmed',
  'Nielsen',
  'Russo',
  'Varga',
  'Castro',
  'Schulz',
  'Ito',
  'Girard',
  'Jovanovic',
  'Reyes',
  'Wolf',
  'Hussein',
  'Dahl',
  'Greco',
  'Kovac',
  'Morales',
  'Krause',
  'Yamamoto',
  'Roux',
  'Pavlov',
  'Herrera',
  'Brandt',
  'Mahmoud',
  'Holm',
  'Conti',
  'Sokolov',
  'Vargas',
  'Lang',
  'Kobayashi',
  'Bertrand',
  'Marsh',
  'Quinn',
  'Obi',
  'Falk',
  'Duarte',
];
const AREAS = ['Research', 'Support', 'Sales', 'Legal', 'Finance', 'Marketing', 'Data', 'Security', 'Product', 'Operations'];
const ROLES = ['Assistant', 'Analyst', 'Writer', 'Reviewer', 'Planner', 'Advisor', 'Scout', 'Coach', 'Editor', 'Tutor'];
export const ROLE_NAMES = AREAS.flatMap((a) => ROLES.map((r) => `${a} ${r}`));
const AVATARS = ['owl', 'fox', 'robot', 'compass', 'lighthouse', 'atlas', 'quill', 'beacon', 'orbit', 'spark'];
const MODELS = ['grok-3', 'grok-3-mini', 'gpt-4.1', 'gpt-4.1-mini', 'claude-sonnet-4', 'gemini-2.5-pro'];
const TOOLS = ['web-search', 'code-interpreter', 'calendar', 'email', 'crm-lookup', 'file-search'];
const WORKSPACE_SLUGS = ['main', 'research', 'support', 'sales', 'ops', 'legal', 'finance', 'labs'];
export const VOICE = { provider: 'openai', voiceId: 'alloy', language: 'en-US', speed: 1, pitch: 0 };

/** `Research Assistant Maya` ... : 100 roles x 100 first names, all distinct, realistic slugs. */
export function seedAgentName(i: number): string {
  return `${ROLE_NAMES[Math.floor(i / FIRST_NAMES.length) % ROLE_NAMES.length]} ${FIRST_NAMES[i % FIRST_NAMES.length]}`;
}

export function description(r: () => number, name: string): string {
  const topics = [
    'quarterly planning',
    'customer onboarding',
    'literature reviews',
    'contract triage',
    'incident follow-ups',
    'pricing questions',
    'release notes',
    'churn analysis',
    'hiring loops',
    'vendor due diligence',
  ];
  return (
    `${name} helps the team with ${topics[Math.floor(r() * topics.length)]} and ${topics[Math.floor(r() * topics.length)]}, ` +
    'keeps a running summary of open questions and hands off to a human when a decision is needed.'
  );
}

export function systemPrompt(r: () => number, name: string): string {
  const tone = ['concise', 'friendly', 'formal', 'direct', 'patient'][Math.floor(r() * 5)];
  return (
    `You are ${name}. Be ${tone} and precise. Cite the source of every figure you quote, say so plainly when you ` +
    'do not know, and never invent customer data. When a request is ambiguous, ask one clarifying question before ' +
    'acting. Prefer short paragraphs and bulleted lists; put the answer first and the reasoning after it. Escalate ' +
    'anything involving money, legal commitments or personal data to a human reviewer and record why.'
  );
}

/** What the seed writes into a column: scalars, dates, text arrays and JSON objects. */
type SqlValue = string | number | boolean | Date | null | undefined | SqlValue[] | { readonly [key: string]: unknown };

const lit = (v: SqlValue): string => {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return `'${v.toISOString()}'`;
  if (Array.isArray(v)) return `ARRAY[${v.map(lit).join(',')}]::text[]`;
  if (typeof v === 'object') return `'${JSON.stringify(v).replace(/'/g, "''")}'::jsonb`;
  return `'${String(v).replace(/'/g, "''")}'`;
};

async function insert(conn: SqlConn, table: string, columns: string[], rows: SqlValue[][], batch = 500) {
  const cols = columns.map((c) => `"${c}"`).join(', ');
  for (let i = 0; i < rows.length; i += batch) {
    const values = rows
      .slice(i, i + batch)
      .map((row) => `(${row.map(lit).join(', ')})`)
      .join(',\n');
    await conn.query(`INSERT INTO "${table}" (${cols}) VALUES\n${values}`);
  }
}

/**
 * One org `bench` with `users` users (1 owner, 2 admins, members), every user's current workspace the main
 * one, `keys` live keys (minted like server/data/api-keys.ts: only hash and 12-character prefix stored),
 * Ala plus `agents` agents (mainShare of them in the main workspace), peer and plain sessions with
 * participants and messages. ANALYZE at the end.
 */
export async function seed(conn: SqlConn, options: Partial<SeedOptions> = {}): Promise<SeedInfo> {
  const o = { ...DEFAULT_SEED, ...options };
  const started = performance.now();
  const r = rng(42);
  const now = Date.now();

  const orgId = randomUUID();
  await insert(conn, 'Organization', ['id', 'slug', 'name'], [[orgId, 'bench', 'Bench Inc.']]);

  const workspaceIds = Array.from({ length: o.workspaces }, () => randomUUID());
  await insert(
    conn,
    'Workspace',
    ['id', 'orgId', 'slug', 'name'],
    workspaceIds.map((id, i) => [
      id,
      orgId,
      WORKSPACE_SLUGS[i] ?? `ws-${i}`,
      (WORKSPACE_SLUGS[i] ?? `ws-${i}`).replace(/^./, (c) => c.toUpperCase()),
    ]),
  );
  const mainWorkspaceId = workspaceIds[0]!;

  const userIds = Array.from({ length: o.users }, () => randomUUID());
  const roles = userIds.map((_, i) => (i === 0 ? 'owner' : i <= 2 ? 'admin' : 'member'));
  await insert(
    conn,
    'User',
    ['id', 'email', 'name'],
    userIds.map((id, i) => [id, `bench-user-${i}@bench.test`, `Bench User ${i}`]),
  );
  await conn.query(
    `INSERT INTO "Membership" ("orgId", "userId", "role", "currentWorkspaceId") VALUES ` +
      userIds.map((id, i) => `(${lit(orgId)}, ${lit(id)}, '${roles[i]}'::"Role", ${lit(mainWorkspaceId)})`).join(', '),
  );
  // Everyone reaches the main workspace; members also one other.
  const access: SqlValue[][] = userIds.map((id) => [mainWorkspaceId, id]);
  userIds.forEach((id, i) => {
    if (roles[i] === 'member' && o.workspaces > 1) access.push([workspaceIds[1 + (i % (o.workspaces - 1))]!, id]);
  });
  await insert(conn, 'WorkspaceAccess', ['workspaceId', 'userId'], access);

  const keys: string[] = [];
  const keyRows: SqlValue[][] = [];
  for (let i = 0; i < o.keys; i++) {
    const { key, prefix, hash } = generateKey('live');
    keys.push(key);
    keyRows.push([orgId, userIds[i % o.users], `bench key ${i}`, prefix, hash, ['*'], 'live']);
  }
  await conn.query(
    `INSERT INTO "ApiKey" ("orgId", "userId", "name", "prefix", "hash", "scopes", "env") VALUES ` +
      keyRows.map((k) => `(${k.slice(0, 6).map(lit).join(', ')}, 'live'::"KeyEnv")`).join(', '),
  );

  // Ala first (the server would insert it on first use anyway), then the agents, oldest first.
  const alaSettings = { voice: VOICE };
  await conn.query(
    `INSERT INTO "Agent" ("orgId", "name", "slug", "description", "avatar", "model", "isDefault", "settings", "createdAt", "updatedAt")
     VALUES (${lit(orgId)}, 'Ala', 'ala', 'The organization''s default assistant.', 'ala', 'grok-3', true, ${lit(alaSettings)},
             ${lit(new Date(now - 40 * 86_400_000))}, ${lit(new Date(now - 40 * 86_400_000))})`,
  );
  const agentRows: SqlValue[][] = [];
  const agentIds: string[] = [];
  const agentSlugs: string[] = [];
  const start = now - 30 * 86_400_000;
  const step = (30 * 86_400_000) / o.agents;
  for (let i = 0; i < o.agents; i++) {
    const id = randomUUID();
    const name = seedAgentName(i);
    const slug = slugify(name);
    // Interleave workspaces in time so every list page mixes them like a real org would.
    const inMain = Math.floor((i + 1) * o.mainShare) > Math.floor(i * o.mainShare);
    const workspaceId = inMain || o.workspaces === 1 ? mainWorkspaceId : workspaceIds[1 + Math.floor(r() * (o.workspaces - 1))]!;
    if (workspaceId === mainWorkspaceId) {
      agentIds.push(id);
      agentSlugs.push(slug);
    }
    const created = new Date(start + i * step);
    const updated = new Date(created.getTime() + Math.floor(r() * 3_600_000));
    const tools = TOOLS.filter(() => r() < 0.3);
    agentRows.push([
      id,
      orgId,
      workspaceId,
      name,
      slug,
      description(r, name),
      AVATARS[i % AVATARS.length],
      MODELS[i % MODELS.length],
      systemPrompt(r, name),
      tools,
      [],
      r() > 0.05,
      { voice: VOICE, temperature: Math.round(r() * 10) / 10 },
      created,
      updated,
    ]);
  }
  // allowedPeerIds keeps its default: seeded agents grant no peers.
  await insert(
    conn,
    'Agent',
    [
      'id',
      'orgId',
      'workspaceId',
      'name',
      'slug',
      'description',
      'avatar',
      'model',
      'systemPrompt',
      'allowedTools',
      'allowedConnectors',
      'isActive',
      'settings',
      'createdAt',
      'updatedAt',
    ],
    agentRows,
  );

  // Sessions in the main workspace, every other one a peer conversation, 2-3 active agents each.
  const active = agentIds.slice(0, Math.min(o.activeAgents, agentIds.length));
  const sessionRows: SqlValue[][] = [];
  const participantRows: SqlValue[][] = [];
  const messageRows: SqlValue[][] = [];
  const writers = new Set<string>();
  const sessionStart = now - 7 * 86_400_000;
  for (let s = 0; s < o.sessions; s++) {
    const id = randomUUID();
    const peer = s % 2 === 0;
    const created = new Date(sessionStart + s * ((7 * 86_400_000) / o.sessions));
    const participants = new Set<string>();
    const want = 2 + (r() < 0.5 ? 1 : 0);
    while (participants.size < Math.min(want, active.length)) participants.add(active[Math.floor(r() * active.length)]!);
    const list = [...participants];
    const updated = new Date(created.getTime() + o.messagesPerSession * 60_000);
    sessionRows.push([
      id,
      orgId,
      mainWorkspaceId,
      userIds[s % o.users],
      `Session ${s + 1}: ${peer ? 'peer sync' : 'planning'}`,
      peer ? { relationship: 'peer' } : { topic: 'planning' },
      created,
      updated,
    ]);
    for (const agentId of list) participantRows.push([id, agentId, created]);
    for (let m = 0; m < o.messagesPerSession; m++) {
      const byAgent = r() < 0.8;
      const agentId = byAgent ? list[m % list.length]! : null;
      if (agentId && peer) writers.add(agentId);
      messageRows.push([
        randomUUID(),
        orgId,
        id,
        agentId,
        byAgent ? null : userIds[s % o.users],
        byAgent
          ? `Status update ${m + 1}: the draft is ready for review, two open questions remain.`
          : `Thanks, please go ahead with option ${m + 1}.`,
        new Date(created.getTime() + m * 60_000),
      ]);
    }
  }
  await insert(conn, 'Session', ['id', 'orgId', 'workspaceId', 'userId', 'title', 'metadata', 'createdAt', 'updatedAt'], sessionRows);
  await insert(conn, 'SessionParticipant', ['sessionId', 'agentId', 'createdAt'], participantRows, 1000);
  await insert(conn, 'Message', ['id', 'orgId', 'sessionId', 'agentId', 'userId', 'content', 'createdAt'], messageRows, 1000);

  await conn.query('VACUUM ANALYZE');
  return {
    orgId,
    orgSlug: 'bench',
    ownerId: userIds[0]!,
    mainWorkspaceId,
    workspaceIds,
    keys,
    agentIds,
    agentSlugs,
    messageAgentIds: [...writers],
    counts: {
      agents: o.agents + 1,
      agentsInMainWorkspace: agentIds.length,
      workspaces: o.workspaces,
      users: o.users,
      keys: o.keys,
      sessions: o.sessions,
      peerSessions: Math.ceil(o.sessions / 2),
      participants: participantRows.length,
      messages: messageRows.length,
    },
    ms: Math.round(performance.now() - started),
  };
}
