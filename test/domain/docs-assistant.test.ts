import { describe, expect, it } from 'vitest';
import {
  EXCERPT_MAX,
  MAX_CITATIONS,
  MIN_COVERAGE,
  MIN_SCORE,
  MODEL_PASSAGE_MAX,
  QUESTION_MAX,
  RELATIVE_CUTOFF,
  SYSTEM_PROMPT,
  UNKNOWN_ANSWER,
  citedHits,
  excerpt,
  isConfident,
  modelTurns,
  normalizeQuestion,
  passageAnswer,
  toCitation,
  unknownAnswer,
  type Hit,
} from '../../server/domain/docs-assistant.js';
import { asData, thrown } from './thrown.js';

const hit = (url: string, score: number, more: Partial<Hit> = {}): Hit => ({
  title: `Title of ${url}`,
  url,
  text: `Text of ${url}.`,
  quote: `Quote of ${url}.`,
  score,
  matched: [],
  ...more,
});

describe('the limits', () => {
  it('are the documented ones', () => {
    expect({ QUESTION_MAX, MIN_SCORE, MIN_COVERAGE, MAX_CITATIONS, RELATIVE_CUTOFF, EXCERPT_MAX, MODEL_PASSAGE_MAX }).toEqual({
      QUESTION_MAX: 1000,
      MIN_SCORE: 7,
      MIN_COVERAGE: 0.5,
      MAX_CITATIONS: 3,
      RELATIVE_CUTOFF: 0.5,
      EXCERPT_MAX: 300,
      MODEL_PASSAGE_MAX: 2000,
    });
  });
});

describe('normalizeQuestion', () => {
  it('trims the question and keeps 1 to 1,000 code points', () => {
    expect(normalizeQuestion('  how do I page?\n\t')).toBe('how do I page?');
    expect(normalizeQuestion('x')).toBe('x');
    expect(normalizeQuestion(` ${'a'.repeat(1000)} `)).toBe('a'.repeat(1000));
    // Counted in code points: 1,000 emoji are 2,000 UTF-16 units and still fit.
    expect(normalizeQuestion('😀'.repeat(1000))).toBe('😀'.repeat(1000));
  });

  it('refuses an empty, blank or over-long question with a 422 on body.question that gives the length', () => {
    for (const [raw, length] of [
      ['', 0],
      [' \n\t ', 0],
      ['a'.repeat(1001), 1001],
      ['😀'.repeat(1001), 1001],
    ] as const) {
      expect(asData(thrown(() => normalizeQuestion(raw)))).toEqual({
        status: 422,
        code: 'VALIDATION_ERROR',
        message: 'The question must be 1 to 1000 characters after trimming',
        details: [{ path: 'body.question', message: `must be 1 to 1000 characters after trimming (got ${length})` }],
      });
    }
  });
});

describe('isConfident', () => {
  const best = (score: number, matched: number) => hit('/docs#a', score, { matched: Array.from({ length: matched }, (_, i) => `w${i}`) });

  it('needs a best hit with a score of at least 7 that holds at least half the words', () => {
    for (const [score, matched, words, confident] of [
      [7, 1, 2, true],
      [7, 2, 2, true],
      [50, 3, 4, true],
      [6.99, 2, 2, false],
      [0, 2, 2, false],
      [7, 1, 3, false],
      [50, 0, 1, false],
      [50, 2, 5, false],
    ] as const) {
      expect(isConfident(best(score, matched), words), `${score} ${matched}/${words}`).toBe(confident);
    }
  });

  it('is never confident without a hit or without question words', () => {
    expect(isConfident(undefined, 3)).toBe(false);
    expect(isConfident(best(50, 1), 0)).toBe(false);
    expect(isConfident(best(50, 0), 0)).toBe(false);
  });
});

describe('citedHits', () => {
  const urls = (hits: Hit[]) => hits.map((h) => `${h.url}:${h.score}`);

  it('cites nothing for no hits and always cites the best one', () => {
    expect(citedHits([])).toEqual([]);
    expect(urls(citedHits([hit('a', 0.1)]))).toEqual(['a:0.1']);
  });

  it('cites at most 3, best first', () => {
    expect(urls(citedHits([hit('a', 10), hit('b', 9), hit('c', 8), hit('d', 7), hit('e', 6)]))).toEqual(['a:10', 'b:9', 'c:8']);
  });

  it('cites each url once, with its best hit, and a skipped duplicate does not take a place', () => {
    const cited = citedHits([hit('a', 10), hit('a', 9), hit('b', 8), hit('a', 8), hit('c', 7), hit('d', 6)]);
    expect(urls(cited)).toEqual(['a:10', 'b:8', 'c:7']);
  });

  it('drops hits under half the best score, measured against the best rather than the last cited', () => {
    expect(urls(citedHits([hit('a', 10), hit('b', 5), hit('c', 4.99)]))).toEqual(['a:10', 'b:5']);
    expect(urls(citedHits([hit('a', 10), hit('b', 6), hit('c', 4)]))).toEqual(['a:10', 'b:6']);
    expect(urls(citedHits([hit('a', 10), hit('b', 2)]))).toEqual(['a:10']);
  });
});

describe('excerpt', () => {
  it('starts at the sentence holding most of the words, keeping the earliest on a tie', () => {
    const text = 'Alpha one. Beta two keys. Gamma keys two.';
    expect(excerpt(text, ['keys', 'two'])).toBe('Beta two keys. Gamma keys two.');
    expect(excerpt(text, ['gamma'])).toBe('Gamma keys two.');
    expect(excerpt(text, [])).toBe(text);
    expect(excerpt(text, ['nothing'])).toBe(text);
  });

  it('matches words in any case', () => {
    expect(excerpt('Other stuff. The API KEY is secret.', ['Key'])).toBe('The API KEY is secret.');
    expect(excerpt('Other stuff. The api key is secret.', ['KEY'])).toBe('The api key is secret.');
  });

  it('ends sentences at . ! or ? followed by white space, and joins them with one space', () => {
    expect(excerpt('Which one? This one! That one.', ['this'])).toBe('This one! That one.');
    expect(excerpt('Which one? This one! That one.', ['that'])).toBe('That one.');
    expect(excerpt('First.\n\n  Second   part.\tThird.', [])).toBe('First. Second   part. Third.');
    expect(excerpt('Use e.g.this one. Or that.', ['that'])).toBe('Or that.');
    expect(excerpt('Version 1.2 is out. Get it.', ['version'])).toBe('Version 1.2 is out. Get it.');
  });

  it('ignores white space around the text', () => {
    expect(excerpt('  First.   Second.  ', [])).toBe('First. Second.');
    expect(excerpt('', ['a'])).toBe('');
    expect(excerpt(' \n ', ['a'])).toBe('');
  });

  it('adds following sentences only while the excerpt stays within the limit, and stops at the first that does not fit', () => {
    // 4 + 1 + 15 = 20 characters: exactly the limit.
    expect(excerpt('One. Two three four.', [], 20)).toBe('One. Two three four.');
    expect(excerpt('One. Two three four. Five.', [], 20)).toBe('One. Two three four.');
    expect(excerpt('One. Two three fours.', [], 20)).toBe('One.');
    expect(excerpt('One. Two three fours. Ok.', [], 20)).toBe('One.');
  });

  it('cuts a sentence longer than the limit at its last space, but never below half the limit', () => {
    expect(excerpt('Alpha beta gamma delta epsilon.', [], 20)).toBe('Alpha beta gamma…');
    expect(excerpt('Supercalifragilisticexpialidocious.', [], 20)).toBe('Supercalif…');
    expect(excerpt('Ab cdefghijklmnopqrstuvwxyz.', [], 20)).toBe('Ab cdefghi…');
    expect(excerpt('Twenty characters ok', [], 20)).toBe('Twenty characters ok');
    expect(excerpt('Twenty characters o. Then more.', ['twenty'], 20)).toBe('Twenty characters o.');
  });

  it('keeps about 300 characters by default', () => {
    expect(excerpt('word '.repeat(80), [])).toBe(`${'word '.repeat(59)}word…`);
  });
});

describe('toCitation', () => {
  it('quotes the hit’s quotable part, not its whole text', () => {
    const h = hit('/docs#operation/listAgents', 9, { title: 'GET /agents', text: 'Secret. Inner.', quote: 'Lists agents. Pages them.' });
    expect(toCitation(h, ['pages'])).toEqual({ title: 'GET /agents', url: '/docs#operation/listAgents', excerpt: 'Pages them.' });
  });
});

describe('passageAnswer', () => {
  it('quotes each citation after its number, from 1', () => {
    const citations = [
      { title: 'A', url: '/docs#a', excerpt: 'Alpha.' },
      { title: 'B', url: '/docs#b', excerpt: 'Beta.' },
    ];
    expect(passageAnswer(citations)).toEqual({
      answer: 'From the documentation:\n\n[1] A: Alpha.\n\n[2] B: Beta.',
      citations,
      confident: true,
    });
  });
});

describe('unknownAnswer', () => {
  it('says the docs do not answer, points to /docs and cites nothing', () => {
    expect(UNKNOWN_ANSWER).toBe(
      "I could not find this in this server's documentation, so I cannot answer it. The API reference at /docs and the guide at /docs/guide describe everything this API does.",
    );
    expect(unknownAnswer()).toEqual({ answer: UNKNOWN_ANSWER, citations: [], confident: false });
  });
});

describe('modelTurns', () => {
  it('sends the rules, then the numbered passages, each cut to 2,000 characters, and the question', () => {
    const long = `${'x'.repeat(2000)}TAIL`;
    const turns = modelTurns('How do I page?', [
      hit('/docs#a', 9, { title: 'A', text: 'Alpha text.' }),
      hit('/docs#b', 8, { title: 'B', text: long }),
    ]);
    expect(turns).toEqual([
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content: `Documentation passages:\n\n[1] A (/docs#a)\nAlpha text.\n\n[2] B (/docs#b)\n${'x'.repeat(2000)}\n\nQuestion: How do I page?`,
      },
    ]);
  });

  it('tells the model to answer only from the passages, cite them and admit what they do not cover', () => {
    expect(SYSTEM_PROMPT).toBe(
      'You answer questions about the Alumia API using only the numbered documentation passages in the user message. ' +
        'Do not use anything else you know, do not guess, and do not invent endpoints, fields, variables or behaviour. ' +
        'Cite every statement with the number of the passage it comes from, as [1] or [2]. ' +
        'If the passages do not answer the question, say that the documentation does not cover it and point to /docs. ' +
        'Answer briefly, in plain text.',
    );
  });
});
