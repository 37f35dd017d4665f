import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/** The providers this server knows without a file; the file may add models to them but not redefine them. */
export const BUILT_IN_PROVIDERS = ['local', 'xai', 'openai'] as const;

const ID = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 lowercase letters, digits, dots, underscores or hyphens');
const price = z.number().int().min(0).max(1_000_000_000);

const fileSchema = z
  .object({
    providers: z
      .array(
        z
          .object({
            id: ID,
            baseURL: z.url({ protocol: /^https?$/ }),
            /** The environment variable holding the key; none for servers that need no key. */
            apiKeyVariable: z
              .string()
              .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
              .optional(),
          })
          .strict(),
      )
      .default([]),
    models: z
      .array(
        z
          .object({
            id: z.string().min(1).max(64),
            name: z.string().min(1).max(255),
            description: z.string().max(1_000).default(''),
            provider: ID,
            /** The model's name at the provider, when it differs from `id`. */
            upstreamModel: z.string().min(1).max(255).optional(),
            contextWindow: z.number().int().min(1_024).max(100_000_000),
            inputCreditMicroPerMTok: price,
            outputCreditMicroPerMTok: price,
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export interface FileProvider {
  id: string;
  baseURL: string;
  apiKey: string | undefined;
  /** Set when the key's variable is named but empty: the provider is then not configured. */
  missingKeyVariable: string | undefined;
  keyVariable: string;
}
export type FileModel = z.output<typeof fileSchema>['models'][number];

/**
 * Reads the providers file (YAML or JSON) and validates it; every problem names the entry it is in, as
 * `providers[1].baseURL: ...`. Keys are not in the file: each provider names the variable that holds its key.
 */
export function readProvidersFile(
  path: string,
  env: Record<string, string | undefined>,
): { providers: FileProvider[]; models: FileModel[] } {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${entry(i.path)}: ${i.message}`).join('; '));
  }
  const { providers, models } = parsed.data;
  const problems: string[] = [];
  const known = new Set<string>(BUILT_IN_PROVIDERS);
  providers.forEach((p, i) => {
    if (known.has(p.id)) problems.push(`providers[${i}].id: ${p.id} is ${isBuiltIn(p.id) ? 'built in' : 'listed twice'}`);
    known.add(p.id);
  });
  const modelIds = new Set<string>();
  models.forEach((m, i) => {
    if (!known.has(m.provider)) problems.push(`models[${i}].provider: ${m.provider} is not a provider of this file or a built-in one`);
    if (modelIds.has(m.id)) problems.push(`models[${i}].id: ${m.id} is listed twice`);
    modelIds.add(m.id);
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    providers: providers.map((p) => {
      const apiKey = p.apiKeyVariable ? env[p.apiKeyVariable] || undefined : undefined;
      return {
        id: p.id,
        baseURL: p.baseURL,
        apiKey,
        missingKeyVariable: p.apiKeyVariable && !apiKey ? p.apiKeyVariable : undefined,
        keyVariable: p.apiKeyVariable ?? 'its key variable',
      };
    }),
    models,
  };
}

const isBuiltIn = (id: string) => (BUILT_IN_PROVIDERS as readonly string[]).includes(id);
const entry = (path: PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('') || '(file)';
