import { describe, expect, it } from 'vitest';
import {
  agentName,
  collapseWhitespace,
  isInvisible,
  isReservedName,
  refusedInvisible,
  reservedKey,
  skeleton,
} from '../../server/domain/agent-names.js';
import { ApiError } from '../../server/errors.js';

/** The ApiError `agentName` throws for `raw`, or a failure when it returns. */
function refusal(raw: string, isAla = false): ApiError {
  try {
    agentName(raw, { isAla });
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error(`agentName accepted ${JSON.stringify(raw)}`);
}

const expectRefused = (raw: string, status: 400 | 422, code: string) => {
  const err = refusal(raw);
  expect({ status: err.status, code: err.code }, JSON.stringify(raw)).toEqual({ status, code });
  expect(err.details).toEqual([{ path: 'body.name', message: expect.any(String) }]);
  return err;
};

// One or more of each class of invisible character the rule refuses.
const INVISIBLE: Record<string, string[]> = {
  'soft hyphen': ['\u00ad'],
  'zero width space, non-joiner and joiner outside their contexts': ['\u200b', '\u200c', '\u200d'],
  'left-to-right and right-to-left marks': ['\u200e', '\u200f', '\u061c'],
  'bidi embeddings and overrides': ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e'],
  'bidi isolates': ['\u2066', '\u2067', '\u2068', '\u2069'],
  'word joiner and invisible operators': ['\u2060', '\u2061', '\u2062', '\u2063', '\u2064'],
  'byte order mark / zero width no-break space': ['\ufeff'],
  'interlinear annotation controls': ['\ufff9', '\ufffa', '\ufffb'],
  'stray tag characters': ['\u{e0001}', '\u{e0041}', '\u{e007f}'],
  'Mongolian vowel separator outside Mongolian': ['\u180e'],
  'default-ignorable letters that render blank (Hangul fillers) and the grapheme joiner': ['\u3164', '\uffa0', '\u115f', '\u034f'],
};

describe('collapseWhitespace', () => {
  it('trims and turns every run of Unicode White_Space into one space', () => {
    expect(collapseWhitespace('  Research \t\n Assistant  ')).toBe('Research Assistant');
    expect(collapseWhitespace('a\u00a0\u2003\u3000b\u0085c')).toBe('a b c');
  });

  it('does not treat U+FEFF as whitespace, so the invisible-character rule sees it', () => {
    expect(collapseWhitespace('\ufeffAla')).toBe('\ufeffAla');
  });
});

describe('invisible characters', () => {
  for (const [label, chars] of Object.entries(INVISIBLE)) {
    it(`refuses ${label} with 422, naming the code point and its position`, () => {
      for (const c of chars) {
        expect(isInvisible(c), `U+${c.codePointAt(0)!.toString(16)}`).toBe(true);
        for (const raw of [`Ala${c}`, `${c}Helper`, `Re${c}search`]) {
          const err = expectRefused(raw, 422, 'VALIDATION_ERROR');
          const hex = c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
          expect(err.details?.[0]?.message).toContain(`U+${hex}`);
        }
        expect(refusedInvisible(`Ab${c}`)).toEqual({
          codePoint: `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
          position: 3,
        });
      }
    });
  }

  it('refuses an invisible character even in a name that is otherwise only whitespace, and even for Ala itself', () => {
    expectRefused(' \u200b ', 422, 'VALIDATION_ERROR');
    expect(refusal('Ala\u200b', true).code).toBe('VALIDATION_ERROR');
  });

  it('allows ZWJ inside emoji sequences, with skin tones and VS16', () => {
    for (const name of [
      '👩\u200d🔬 Lab',
      '🧑🏽\u200d🔬 Research',
      '🏳\ufe0f\u200d🌈 Pride',
      '👨\u200d👩\u200d👧 Family',
      '🏳\ufe0f\u200d⚧\ufe0f',
      '👁\ufe0f\u200d🗨\ufe0f Witness',
    ]) {
      expect(agentName(name), JSON.stringify(name)).toBe(name);
    }
  });

  it('refuses ZWJ that joins a pictograph to a letter, or ends the name', () => {
    expectRefused('👩\u200dx', 422, 'VALIDATION_ERROR');
    expectRefused('x\u200d🔬', 422, 'VALIDATION_ERROR');
    expectRefused('👩\u200d', 422, 'VALIDATION_ERROR');
  });

  it('allows ZWNJ and ZWJ between letters of scripts they shape, not between Latin letters', () => {
    for (const name of ['نامه\u200cها', 'می\u200cخواهم', 'क्\u200dष', 'क्\u200cष', 'ᠨᠢᠭᠡ\u180eᠠ']) {
      expect(agentName(name), JSON.stringify(name)).toBe(name);
    }
    expectRefused('Bill\u200cing', 422, 'VALIDATION_ERROR');
    expectRefused('Bill\u200ding', 422, 'VALIDATION_ERROR');
    expectRefused('ه\u200cx', 422, 'VALIDATION_ERROR'); // Arabic letter, Latin letter: no shared joining script
  });

  it('allows variation selectors and emoji tag sequences (subdivision flags)', () => {
    for (const name of [
      '❤\ufe0f Care',
      '☎\ufe0e Calls',
      '葛\u{e0100}飾',
      '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} Scotland',
    ])
      expect(agentName(name), JSON.stringify(name)).toBe(name);
    // A flag's tags pass, a stray one after it does not, and its position counts the flag's code points.
    expect(refusedInvisible('🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}\u200b')).toEqual({
      codePoint: 'U+200B',
      position: 8,
    });
  });
});

describe('length', () => {
  it('accepts exactly 1 and exactly 255 characters after collapsing, refuses 0 and 256 with 422', () => {
    expect(agentName('x')).toBe('x');
    expect(agentName(` ${'c'.repeat(255)} `)).toBe('c'.repeat(255));
    expect(agentName(`${'c'.repeat(127)}  \t ${'c'.repeat(127)}`)).toHaveLength(255);
    for (const raw of ['', ' ', ' \t\n ', '\u3000', 'c'.repeat(256), `${'c'.repeat(128)} ${'c'.repeat(127)}`]) {
      const err = expectRefused(raw, 422, 'VALIDATION_ERROR');
      expect(err.details?.[0]?.message).toMatch(/1 to 255 characters/);
    }
  });
});

describe('skeleton', () => {
  it('is the UTS #39 skeleton: confusables mapped, default-ignorables gone, NFD', () => {
    expect(skeleton('\u0410la')).toBe('Ala');
    expect(skeleton('AIa')).toBe('Ala');
    expect(skeleton('Ala\u200b\ufe0f')).toBe('Ala');
    expect(skeleton('é')).toBe('e\u0301');
    expect(skeleton('Summary')).toBe('Surnrnary'); // lossy: why a skeleton is compared, never stored
  });
});

describe('the reserved name', () => {
  const VARIANTS: Record<string, string> = {
    plain: 'Ala',
    lowercase: 'ala',
    uppercase: 'ALA',
    spaced: 'A l a',
    'tab and spaces': ' a\tL a ',
    fullwidth: 'Ａｌａ',
    'fullwidth uppercase': 'ＡＬＡ',
    'Greek capital alphas': '\u0391L\u0391',
    'Greek small alphas': '\u03b1l\u03b1',
    'Cyrillic capital A': '\u0410la',
    'Cyrillic small a': 'Al\u0430',
    'capital I for l': 'AIa',
    'digit one for l': 'A1a',
    'vertical bar for l': 'A|a',
    'Cyrillic palochka for l': 'A\u04c0a',
    'mathematical bold': '𝐀𝐥𝐚',
    'circled letters': 'ⓐⓛⓐ',
    'variation selector': 'Ala\ufe0f',
    'Mongolian free variation selector': 'A\u180bla',
  };
  const INVISIBLE_VARIANTS = ['Ala\u200b', 'Ala\u00ad', 'Ala\u2060', 'A\u200dla', '\u202eala', 'Ala\ufeff'];

  for (const [label, name] of Object.entries(VARIANTS)) {
    it(`refuses ${label} (${JSON.stringify(name)}) with 400`, () => {
      expect(isReservedName(name)).toBe(true);
      expectRefused(name, 400, 'BAD_REQUEST');
    });
  }

  it('folds invisible characters too, though agentName refuses those names earlier with 422', () => {
    for (const name of INVISIBLE_VARIANTS) {
      expect(isReservedName(name), JSON.stringify(name)).toBe(true);
      expectRefused(name, 422, 'VALIDATION_ERROR');
    }
  });

  it('leaves ordinary names alone, and stores what was sent, never the skeleton', () => {
    for (const name of [
      'Alan',
      'Alba',
      'Lala',
      'Ala Moana',
      'Alla',
      'Ala!',
      'Ála',
      'Al',
      'Aloha',
      'Research Assistant',
      'Milo',
      'Ilia',
      '101',
    ]) {
      expect(isReservedName(name), name).toBe(false);
      expect(agentName(name)).toBe(name);
    }
    expect(reservedKey('Research Assistant')).toBe('researchassistant');
    expect(agentName('  Mimi   the  Summarizer ')).toBe('Mimi the Summarizer');
  });

  it('lets the default agent keep or take its own name', () => {
    expect(agentName('Ala', { isAla: true })).toBe('Ala');
    expect(agentName(' ALA ', { isAla: true })).toBe('ALA');
  });
});

describe('joiners at the edges and between the wrong neighbours', () => {
  it('refuses U+180E unless both neighbours are Mongolian', () => {
    expect(agentName('ᠨ\u180eᠠ')).toBe('ᠨ\u180eᠠ');
    for (const raw of ['ᠨ\u180ex', 'x\u180eᠠ', '\u180eᠠ', 'ᠨ\u180e']) {
      expect(refusedInvisible(raw), JSON.stringify(raw)).toEqual({ codePoint: 'U+180E', position: [...raw].indexOf('\u180e') + 1 });
    }
  });

  it('refuses other invisible characters between letters that ZWJ/ZWNJ may join', () => {
    expect(refusedInvisible('ن\u200bه')).toEqual({ codePoint: 'U+200B', position: 2 });
    expect(refusedInvisible('क्\u2060ष')).toEqual({ codePoint: 'U+2060', position: 3 });
    expect(refusedInvisible('👩\u2060🔬')).toEqual({ codePoint: 'U+2060', position: 2 });
  });

  it('refuses ZWNJ between pictographs: only ZWJ makes an emoji sequence', () => {
    expect(refusedInvisible('👩\u200c🔬')).toEqual({ codePoint: 'U+200C', position: 2 });
    expect(refusedInvisible('🧑🏽\u200c🔬')).toEqual({ codePoint: 'U+200C', position: 3 });
  });

  it('needs a letter of the joining script on both sides, whichever side is missing', () => {
    expect(refusedInvisible('x\u200cن')).toEqual({ codePoint: 'U+200C', position: 2 });
    expect(refusedInvisible('\u200cنه')).toEqual({ codePoint: 'U+200C', position: 1 });
    expect(refusedInvisible('ن\u200c')).toEqual({ codePoint: 'U+200C', position: 2 });
    // Digits of the script are not letters: before or after the joiner.
    expect(refusedInvisible('٣\u200cن')).toEqual({ codePoint: 'U+200C', position: 2 });
    expect(refusedInvisible('ن\u200c٣')).toEqual({ codePoint: 'U+200C', position: 2 });
    expect(refusedInvisible('१\u200dक')).toEqual({ codePoint: 'U+200D', position: 2 });
    // A mark with no letter before it has nothing to join.
    expect(refusedInvisible('\u094d\u200dष')).toEqual({ codePoint: 'U+200D', position: 2 });
  });

  it('skips emoji tails back to the pictograph, and finds none at the start of the name', () => {
    expect(agentName('🧑🏽\ufe0f\u200d🔬')).toBe('🧑🏽\ufe0f\u200d🔬');
    expect(refusedInvisible('🏽\u200d🔬')).toEqual({ codePoint: 'U+200D', position: 2 });
    expect(refusedInvisible('\ufe0f\u200d🔬')).toEqual({ codePoint: 'U+200D', position: 2 });
  });

  it('reports the first refused character, counting code points', () => {
    expect(refusedInvisible('😀a\u200b\u200e')).toEqual({ codePoint: 'U+200B', position: 3 });
    expect(refusedInvisible('\u200b')).toEqual({ codePoint: 'U+200B', position: 1 });
    expect(refusedInvisible('plain')).toBeUndefined();
    expect(refusedInvisible('')).toBeUndefined();
  });
});

describe('the refusals, word for word', () => {
  it('names the invisible character and its position', () => {
    const err = refusal('Re\u200bsearch');
    expect({ message: err.message, details: err.details }).toEqual({
      message: 'name must not contain invisible format characters; found U+200B at character 3',
      details: [{ path: 'body.name', message: 'must not contain the invisible character U+200B (character 3)' }],
    });
  });

  it('states the length rule', () => {
    const err = refusal('c'.repeat(256));
    expect({ message: err.message, details: err.details }).toEqual({
      message: 'name must be 1 to 255 characters after collapsing whitespace',
      details: [{ path: 'body.name', message: 'must be 1 to 255 characters after collapsing whitespace' }],
    });
  });

  it('says why the name is reserved', () => {
    const err = refusal('ALA');
    expect({ message: err.message, details: err.details }).toEqual({
      message: 'The name Ala is reserved for the default agent',
      details: [{ path: 'body.name', message: "is reserved: it reads as Ala, the default agent's name" }],
    });
  });

  it('treats a caller that does not say as not Ala', () => {
    expect(() => agentName('Ala')).toThrow(ApiError);
    expect(() => agentName('Ala', {})).toThrow(ApiError);
    expect(agentName('Alan')).toBe('Alan');
  });
});
