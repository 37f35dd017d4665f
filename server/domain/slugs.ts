export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_SLUG_LENGTH = 64;
/** Leaves room for a `-<n>` suffix within MAX_SLUG_LENGTH. */
const MAX_BASE_LENGTH = 56;

// Latin letters that Unicode decomposition leaves whole.
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/**
 * The slug a name starts from: diacritics folded, lowercase ASCII, every other run of characters one
 * hyphen, at most 56 characters. Names with nothing usable give `fallback` (`agent`); a UUID-shaped result
 * is prefixed with it so it can never be mistaken for an id.
 */
export function slugify(name: string, fallback = 'agent'): string {
  const folded = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (c) => LETTERS[c] ?? c);
  let slug = folded
    .replace(/[^a-z0-9]+/g, '-')
    // Runs are one hyphen by now, so at most one leads and, after the cut, at most one trails.
    .replace(/^-/, '')
    .slice(0, MAX_BASE_LENGTH)
    .replace(/-$/, '');
  if (slug === '') slug = fallback;
  if (UUID_SHAPE.test(slug)) slug = `${fallback}-${slug}`;
  return slug;
}

// The name rules (whitespace, invisible characters, the reserved name Ala) live in ../domain/agent-names.ts.

/** An agent reference is a UUID or a slug, in any case: both are stored lowercase. */
export function byRef(ref: string): { id: string } | { slug: string } {
  const canonical = ref.toLowerCase();
  return UUID_SHAPE.test(canonical) ? { id: canonical } : { slug: canonical };
}
