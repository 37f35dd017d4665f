import type { DocsAnswer, DocsCitation } from '../../generated/sdk/types.gen.js';
import { ApiError } from '../errors.js';
import type { ChatTurn } from '../providers/types.js';

// The docs assistant's rules: what a question may be, when retrieval is good enough to answer, and how
// an answer is worded. Searching itself is MiniSearch's (server/docs-assistant/search.ts).

export const QUESTION_MAX = 1_000;
/** The best passage's BM25 score (MiniSearch's, boosts included) below which the docs do not answer. */
export const MIN_SCORE = 7;
/** The share of the question's words the best passage must contain, at least. */
export const MIN_COVERAGE = 1 / 2;
export const MAX_CITATIONS = 3;
/** Later passages are cited only when they score at least this share of the best one. */
export const RELATIVE_CUTOFF = 0.5;
export const EXCERPT_MAX = 300;
/** How much of each passage the model is shown. */
export const MODEL_PASSAGE_MAX = 2_000;

/** The question, trimmed; 1 to 1,000 characters (code points) or 422. */
export function normalizeQuestion(raw: string): string {
  const question = raw.trim();
  const length = [...question].length;
  if (length < 1 || length > QUESTION_MAX) {
    throw new ApiError('VALIDATION_ERROR', `The question must be 1 to ${QUESTION_MAX} characters after trimming`, [
      { path: 'body.question', message: `must be 1 to ${QUESTION_MAX} characters after trimming (got ${length})` },
    ]);
  }
  return question;
}

/** A search result as the rules see it. */
export interface Hit {
  title: string;
  url: string;
  /** All the passage holds, for the model. */
  text: string;
  /** What an excerpt may quote. */
  quote: string;
  score: number;
  /** The question's words (as indexed) that this passage contains. */
  matched: string[];
}

/** Whether the best hit answers the question: score and word coverage both over their bar. */
export function isConfident(best: Hit | undefined, questionWords: number): boolean {
  if (!best || questionWords === 0) return false;
  return best.score >= MIN_SCORE && best.matched.length / questionWords >= MIN_COVERAGE;
}

/** The hits worth citing: the best one per url, at most 3, none far below the best. */
export function citedHits(hits: Hit[]): Hit[] {
  const seen = new Set<string>();
  const cited: Hit[] = [];
  for (const hit of hits) {
    if (cited.length === MAX_CITATIONS) break;
    if (seen.has(hit.url) || (cited.length > 0 && hit.score < cited[0]!.score * RELATIVE_CUTOFF)) continue;
    seen.add(hit.url);
    cited.push(hit);
  }
  return cited;
}

/**
 * The passage's sentences that hold most of the question's words, from the best one on, cut to about
 * EXCERPT_MAX characters at a word.
 */
export function excerpt(text: string, words: string[], max = EXCERPT_MAX): string {
  const sentences = text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (sentences.length === 0) return '';
  const lower = words.map((w) => w.toLowerCase());
  const holds = (s: string) => {
    const l = s.toLowerCase();
    return lower.filter((w) => l.includes(w)).length;
  };
  let start = 0;
  for (let i = 1; i < sentences.length; i++) if (holds(sentences[i]!) > holds(sentences[start]!)) start = i;
  let out = sentences[start]!;
  for (let i = start + 1; i < sentences.length && out.length + sentences[i]!.length < max; i++) out += ` ${sentences[i]}`;
  if (out.length <= max) return out;
  const cut = out.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))}…`;
}

export const toCitation = (hit: Hit, words: string[]): DocsCitation => ({
  title: hit.title,
  url: hit.url,
  excerpt: excerpt(hit.quote, words),
});

/** The answer without a model: the cited passages quoted, each after its number. */
export function passageAnswer(citations: DocsCitation[]): DocsAnswer {
  const quotes = citations.map((c, i) => `[${i + 1}] ${c.title}: ${c.excerpt}`);
  return { answer: ['From the documentation:', ...quotes].join('\n\n'), citations, confident: true };
}

export const UNKNOWN_ANSWER =
  "I could not find this in this server's documentation, so I cannot answer it. The API reference at /docs " +
  'and the guide at /docs/guide describe everything this API does.';

export const unknownAnswer = (): DocsAnswer => ({ answer: UNKNOWN_ANSWER, citations: [], confident: false });

export const SYSTEM_PROMPT = [
  'You answer questions about the Alumia API using only the numbered documentation passages in the user message.',
  'Do not use anything else you know, do not guess, and do not invent endpoints, fields, variables or behaviour.',
  'Cite every statement with the number of the passage it comes from, as [1] or [2].',
  'If the passages do not answer the question, say that the documentation does not cover it and point to /docs.',
  'Answer briefly, in plain text.',
].join(' ');

/** The conversation sent to the model: the rules, then the passages and the question. */
export function modelTurns(question: string, hits: Hit[]): ChatTurn[] {
  const passages = hits.map((h, i) => `[${i + 1}] ${h.title} (${h.url})\n${h.text.slice(0, MODEL_PASSAGE_MAX)}`);
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `Documentation passages:\n\n${passages.join('\n\n')}\n\nQuestion: ${question}` },
  ];
}
