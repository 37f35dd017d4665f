import { readFileSync } from 'node:fs';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../server/paths.js';
import { startHarness, type Harness } from './helpers/harness.js';

/**
 * prisma/schema.prisma and the migrations are written separately (prisma migrate cannot run here), so this
 * compares what the schema declares with what the migrations built: tables, columns, types, nullability,
 * enums, primary keys, indexes (unique ones above all) and foreign keys. Each side becomes a set of
 * one-line facts, and a failure prints the facts that only one side has.
 */

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  nativeType?: [string, string[]] | null;
  isRequired: boolean;
  isList: boolean;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { name: string | null; fields: string[] } | null;
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: Array<{ name: string; sortOrder?: 'asc' | 'desc' }>;
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: Array<{ name: string; dbName: string | null; values: Array<{ name: string; dbName: string | null }> }>;
    indexes: DmmfIndex[];
  };
}

type Query = <T>(sql: string) => Promise<T[]>;

const MAX_IDENTIFIER = 63;
/** Prisma's default constraint name: table and columns joined by `_`, cut to fit, then the suffix. */
const defaultName = (table: string, columns: string[], suffix: string) => {
  const base = [table, ...columns].join('_');
  return base.length + suffix.length > MAX_IDENTIFIER ? base.slice(0, MAX_IDENTIFIER - suffix.length) + suffix : base + suffix;
};

/** The PostgreSQL type (as format_type() spells it) that Prisma creates for a field. */
function expectedType(field: DmmfField, enumDbName: (name: string) => string): string {
  let base: string;
  if (field.kind === 'enum') {
    base = enumDbName(field.type);
  } else {
    const [native, args = []] = field.nativeType ?? [];
    const arg = args.length > 0 ? `(${args.join(',')})` : '';
    switch (field.type) {
      case 'String':
        base =
          { Uuid: 'uuid', Char: `character${arg}`, VarChar: `character varying${arg}`, Text: 'text', Citext: 'citext' }[native ?? 'Text'] ??
          `?${native}`;
        break;
      case 'DateTime':
        base =
          native === 'Timestamptz'
            ? `timestamp${arg} with time zone`
            : native === 'Date'
              ? 'date'
              : native === 'Timestamp'
                ? `timestamp${arg} without time zone`
                : 'timestamp(3) without time zone';
        break;
      case 'Boolean':
        base = 'boolean';
        break;
      case 'Int':
        base = native === 'SmallInt' ? 'smallint' : 'integer';
        break;
      case 'BigInt':
        base = 'bigint';
        break;
      case 'Float':
        base = native === 'Real' ? 'real' : 'double precision';
        break;
      case 'Decimal':
        base = native === 'Decimal' && arg ? `numeric${arg}` : 'numeric(65,30)';
        break;
      case 'Json':
        base = native === 'Json' ? 'json' : 'jsonb';
        break;
      case 'Bytes':
        base = 'bytea';
        break;
      default:
        base = `?${field.type}`;
    }
  }
  return field.isList ? `${base}[]` : base;
}

/** What schema.prisma declares, as facts. */
function factsFromSchema(schemaText: string): string[] {
  const dmmf: Dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schemaText]] })));
  const { models, enums, indexes } = dmmf.datamodel;
  const enumDbName = (name: string) => enums.find((e) => e.name === name)?.dbName ?? name;
  const tableOf = (model: string) => {
    const m = models.find((x) => x.name === model)!;
    return m.dbName ?? m.name;
  };
  const columnOf = (model: string, field: string) => {
    const f = models.find((x) => x.name === model)!.fields.find((x) => x.name === field)!;
    return f.dbName ?? f.name;
  };
  const facts: string[] = [];
  for (const e of enums) facts.push(`enum ${e.dbName ?? e.name} (${e.values.map((v) => v.dbName ?? v.name).join(', ')})`);
  for (const m of models) {
    const table = m.dbName ?? m.name;
    facts.push(`table ${table}`);
    for (const f of m.fields) {
      if (f.kind === 'object') {
        if (!f.relationFromFields || f.relationFromFields.length === 0) continue;
        const from = f.relationFromFields.map((x) => columnOf(m.name, x));
        const to = f.relationToFields!.map((x) => columnOf(f.type, x));
        // Prisma's defaults: optional relations set null, required ones restrict.
        const onDelete = (f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull')).replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
        facts.push(
          `foreign key ${defaultName(table, from, '_fkey')} ${table}(${from.join(', ')}) -> ${tableOf(f.type)}(${to.join(', ')}) ON DELETE ${onDelete}`,
        );
        continue;
      }
      if (f.kind !== 'scalar' && f.kind !== 'enum') continue;
      // Prisma creates list columns without NOT NULL.
      const nullable = !f.isRequired || f.isList;
      facts.push(`column ${table}.${f.dbName ?? f.name} ${expectedType(f, enumDbName)}${nullable ? '' : ' NOT NULL'}`);
    }
  }
  for (const ix of indexes) {
    if (ix.type === 'fulltext') continue;
    const table = tableOf(ix.model);
    const cols = ix.fields.map((f) => columnOf(ix.model, f.name));
    const shown = ix.fields.map((f, i) => `${cols[i]}${f.sortOrder === 'desc' ? ' DESC' : ''}`).join(', ');
    if (ix.type === 'id') {
      const model = models.find((x) => x.name === ix.model)!;
      facts.push(`primary key ${ix.dbName ?? model.primaryKey?.name ?? `${table}_pkey`} on ${table} (${shown})`);
    } else if (ix.type === 'unique') {
      facts.push(`unique index ${ix.dbName ?? defaultName(table, cols, '_key')} on ${table} (${shown})`);
    } else {
      facts.push(`index ${ix.dbName ?? defaultName(table, cols, '_idx')} on ${table} (${shown})`);
    }
  }
  return facts.sort();
}

/** What the database has, as the same kind of facts. */
async function factsFromDatabase(query: Query): Promise<string[]> {
  const facts: string[] = [];
  const unquote = (s: string) => s.replace(/"/g, '');

  const enumRows = await query<{ name: string; labels: string }>(`
    SELECT t.typname AS name, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS labels
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' GROUP BY t.typname`);
  for (const r of enumRows) facts.push(`enum ${r.name} (${r.labels})`);

  const tables = await query<{ table_name: string }>(`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`);
  for (const t of tables) facts.push(`table ${t.table_name}`);

  const columns = await query<{ table_name: string; column_name: string; type: string; is_nullable: string }>(`
    SELECT c.table_name, c.column_name, c.is_nullable,
           format_type(a.atttypid, a.atttypmod) AS type
    FROM information_schema.columns c
    JOIN pg_namespace n ON n.nspname = c.table_schema
    JOIN pg_class k ON k.relnamespace = n.oid AND k.relname = c.table_name
    JOIN pg_attribute a ON a.attrelid = k.oid AND a.attname = c.column_name
    WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations'`);
  for (const c of columns) {
    facts.push(`column ${c.table_name}.${c.column_name} ${unquote(c.type)}${c.is_nullable === 'YES' ? '' : ' NOT NULL'}`);
  }

  const indexRows = await query<{ name: string; table: string; is_unique: boolean; is_primary: boolean; columns: string }>(`
    SELECT i.relname AS name, t.relname AS "table", x.indisunique AS is_unique, x.indisprimary AS is_primary,
           (SELECT string_agg(a.attname || CASE WHEN (x.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END, ', ' ORDER BY k.ord)
            FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`);
  for (const r of indexRows) {
    const kind = r.is_primary ? 'primary key' : r.is_unique ? 'unique index' : 'index';
    facts.push(`${kind} ${r.name} on ${r.table} (${r.columns})`);
  }

  const fkRows = await query<{ name: string; table: string; columns: string; ref_table: string; ref_columns: string; on_delete: string }>(`
    SELECT c.conname AS name, t.relname AS "table", r.relname AS ref_table,
           (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
           (SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_columns,
           CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                              WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_delete
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_class r ON r.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE c.contype = 'f' AND n.nspname = 'public'`);
  for (const f of fkRows)
    facts.push(`foreign key ${f.name} ${f.table}(${f.columns}) -> ${f.ref_table}(${f.ref_columns}) ON DELETE ${f.on_delete}`);
  return facts.sort();
}

/** A readable report of the facts only one side has; empty when they agree. */
function drift(schema: string[], database: string[]): string {
  const inDb = new Set(database);
  const inSchema = new Set(schema);
  const missing = schema.filter((f) => !inDb.has(f));
  const extra = database.filter((f) => !inSchema.has(f));
  if (missing.length === 0 && extra.length === 0) return '';
  return [
    'prisma/schema.prisma and the migrated database disagree.',
    ...(missing.length
      ? ['  In schema.prisma but not in the database (a migration is missing or wrong):', ...missing.map((f) => `    - ${f}`)]
      : []),
    ...(extra.length
      ? [
          '  In the database but not in schema.prisma (the schema is missing it, or a migration added it):',
          ...extra.map((f) => `    + ${f}`),
        ]
      : []),
  ].join('\n');
}

let h: Harness;
let schemaFacts: string[];
beforeAll(async () => {
  h = await startHarness();
  schemaFacts = factsFromSchema(readFileSync(fromRoot('prisma', 'schema.prisma'), 'utf8'));
});
afterAll(() => h.close());

const viaPrisma =
  (client: { $queryRawUnsafe: <T>(sql: string) => Promise<T> }): Query =>
  (sql) =>
    client.$queryRawUnsafe(sql);

describe('schema drift', () => {
  it('prisma/schema.prisma and the migrated database agree on tables, columns, types, nullability, enums, keys and indexes', async () => {
    const report = drift(schemaFacts, await factsFromDatabase(viaPrisma(h.db.prisma)));
    expect(report, report).toBe('');
  });

  it('covers what the rule is about: every table, the ApiKey columns, and the unique indexes', () => {
    expect(schemaFacts).toEqual(
      expect.arrayContaining([
        'table ApiKey',
        'column ApiKey.hash character(64) NOT NULL',
        'column ApiKey.scopes text[]',
        'column ApiKey.env KeyEnv NOT NULL',
        'column ApiKey.expiresAt timestamp(3) with time zone',
        'column ApiKey.id uuid NOT NULL',
        'unique index ApiKey_hash_key on ApiKey (hash)',
        'unique index Organization_slug_key on Organization (slug)',
        'enum Role (owner, admin, member)',
      ]),
    );
  });

  it('reports each kind of disagreement by name (checked inside a transaction that is rolled back)', async () => {
    const changes = [
      'ALTER TABLE "ApiKey" ALTER COLUMN "name" DROP NOT NULL',
      'ALTER TABLE "Workspace" ALTER COLUMN "slug" TYPE VARCHAR(40)',
      'ALTER TABLE "User" ADD COLUMN "nickname" TEXT',
      'DROP INDEX "ApiKey_hash_key"',
      'CREATE UNIQUE INDEX "User_name_key" ON "User"("name")',
      'DROP TABLE "IdempotencyKey"',
    ];
    let report = '';
    await h.db.prisma
      .$transaction(async (tx) => {
        for (const sql of changes) await tx.$executeRawUnsafe(sql);
        report = drift(schemaFacts, await factsFromDatabase(viaPrisma(tx)));
        throw new Error('rollback');
      })
      .catch((err: Error) => {
        if (err.message !== 'rollback') throw err;
      });
    expect(report).toContain('- column ApiKey.name text NOT NULL');
    expect(report).toContain('+ column ApiKey.name text');
    expect(report).toContain('+ column Workspace.slug character varying(40) NOT NULL');
    expect(report).toContain('+ column User.nickname text');
    expect(report).toContain('- unique index ApiKey_hash_key on ApiKey (hash)');
    expect(report).toContain('+ unique index User_name_key on User (name)');
    expect(report).toContain('- table IdempotencyKey');
    // And the rollback left the database as it was.
    expect(drift(schemaFacts, await factsFromDatabase(viaPrisma(h.db.prisma)))).toBe('');
  });
});
