import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

/**
 * Every embedded database is opened here, with the extensions the migrations use (pg_trgm serves the
 * activity feed's substring search). A PGlite opened without them cannot replay those migrations.
 */
export function newPglite(dataDir?: string, options: PGliteOptions = {}): PGlite {
  // One options object: given a second argument next to an undefined data dir, PGlite ignores it.
  return new PGlite({ ...options, ...(dataDir ? { dataDir } : {}), extensions: { pg_trgm, ...options.extensions } });
}
