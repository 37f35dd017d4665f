import MiniSearch, { type SearchOptions } from 'minisearch';
import { stemmer } from 'stemmer';
import type { Hit } from '../domain/docs-assistant.js';
import type { Passage } from './passages.js';

// Words that say nothing about what is asked ("how do I ...", "what is the ..."): dropped from passages
// and questions alike, so BM25 ranks by the words that matter and coverage counts only those.
const STOP_WORDS = new Set(
  (
    'a about after all also am an and any are as at be been before being but by can could did do does doing ' +
    'for from get gets got had has have having he her here how i if in into is it its just me my no nor not ' +
    'of off on once only or other our out own same she should so some such than that the their them then there ' +
    'these they this those through to too up us very was we were what when where which while who whom why will ' +
    'with would you your yours want need use using happen happens'
  ).split(' '),
);

/**
 * Lower case, stop words and single letters (the `s` of "Ala's") out, then Porter's stem, so
 * "paginate", "paginated" and "pagination" are one word. Shared by indexing and search.
 */
export const processTerm = (term: string): string | null => {
  const lower = term.toLowerCase();
  return STOP_WORDS.has(lower) || lower.length < 2 ? null : stemmer(lower);
};

const SEARCH: SearchOptions = {
  // Titles name what a passage is about; keywords (method, path, operationId) come next; error
  // descriptions repeat across operations, so they count least.
  boost: { title: 3, keywords: 2, text: 1, errors: 0.1 },
  // "paginat" finds "pagination", "rotat" finds "rotate"; short words match exactly, or "key" would
  // find "keyset".
  prefix: (term) => term.length >= 5,
  // One typo in a word of 5 letters or more ("agnet", "paginaton").
  fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
  combineWith: 'OR',
};
/** MiniSearch's document boost for passages cited as an operation they are only part of. */
const SECONDARY_BOOST = 0.7;

/** The documentation as a MiniSearch index: BM25 over title, keywords, text and error descriptions. */
export class DocsIndex {
  private readonly search: MiniSearch<Passage & { id: number }>;
  private readonly boost: (id: number) => number;

  constructor(private readonly passages: Passage[]) {
    this.search = new MiniSearch({ fields: ['title', 'keywords', 'text', 'errors'], processTerm, searchOptions: SEARCH });
    this.search.addAll(passages.map((p, id) => ({ ...p, id })));
    this.boost = (id: number) => (passages[id]!.secondary ? SECONDARY_BOOST : 1);
  }

  get size(): number {
    return this.passages.length;
  }

  /** The question's words as the index sees them (tokenized, lower case, stop words out), once each. */
  words(question: string): string[] {
    const tokenize = MiniSearch.getDefault('tokenize') as (text: string) => string[];
    return [
      ...new Set(
        tokenize(question)
          .map(processTerm)
          .filter((t): t is string => t !== null),
      ),
    ];
  }

  /** Passages that match the question, best first. */
  query(question: string, limit = 10): Hit[] {
    return this.search
      .search(question, { boostDocument: this.boost })
      .slice(0, limit)
      .map((r) => {
        const p = this.passages[r.id as number]!;
        return {
          title: p.title,
          url: p.url,
          text: p.text,
          quote: p.quote || p.text,
          score: r.score,
          matched: r.queryTerms,
        };
      });
  }
}
