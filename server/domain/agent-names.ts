import unhomoglyph from 'unhomoglyph';
import { ApiError } from '../errors.js';

/**
 * The rules for an agent's name, as plain functions: no database, no HTTP. `agentName` is the one entry
 * point the stores use; the others are exported for their unit tests and for the property tests.
 *
 * Decision on invisible characters: refuse, do not strip. A stripped name is not what the client sent, so it
 * could not compare what it stored with what it reads back, and a client that sends `Ala\u200b` is either
 * buggy or probing; a 422 tells it which character and where. The refused set is every Unicode format
 * character (General_Category Cf: U+00AD soft hyphen, U+200B-U+200F, the bidi embeddings and overrides
 * U+202A-U+202E and isolates U+2066-U+2069, U+2060-U+2064, U+FEFF, the tag characters ...) plus the other
 * Default_Ignorable_Code_Point characters that render as nothing, such as the Hangul fillers U+3164 and
 * U+FFA0 and the combining grapheme joiner U+034F. Not refused, because text needs them:
 * - variation selectors (U+FE00-U+FE0F, U+E0100-U+E01EF, the Mongolian ones): they pick the emoji or
 *   glyph form of the character before them (a red heart is U+2764 U+FE0F), and they are not Cf;
 * - U+200D ZERO WIDTH JOINER between two pictographs: an emoji ZWJ sequence such as woman, ZWJ, microscope
 *   (a scientist), with a skin tone and VS16 allowed on the first;
 * - U+200C/U+200D between two letters of one script where joiners change the rendering: the cursive
 *   (Arabic-type) scripts and the Brahmic scripts with a virama. Persian needs ZWNJ inside words, Indic
 *   scripts need both after a virama. The same joiner between Latin letters changes nothing on screen, so
 *   it is refused;
 * - U+180E MONGOLIAN VOWEL SEPARATOR between two Mongolian characters, where it selects a final form;
 * - the tag characters of an emoji tag sequence (the flags of England, Scotland and Wales).
 * Whatever is allowed here is still ignored by the reserved-name check below, so none of it can help
 * a name pass for Ala.
 */

export const MAX_NAME_LENGTH = 255;

/** The name the default agent is created with and that no other agent may read as. */
export const RESERVED_NAME = 'Ala';

/** Unicode White_Space (JavaScript's `\s` differs: it counts U+FEFF, a format character, and misses U+0085). */
const WHITE_SPACE = /\p{White_Space}+/gu;
const EDGE_WHITE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

/** `name` with surrounding whitespace trimmed and inner runs of whitespace turned into one space. */
export const collapseWhitespace = (name: string) => name.replace(EDGE_WHITE_SPACE, '').replace(WHITE_SPACE, ' ');

const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const VARIATION_SELECTOR = /\p{Variation_Selector}/u;
const ZWNJ = '\u200c';
const ZWJ = '\u200d';
const MONGOLIAN_VOWEL_SEPARATOR = '\u180e';
const MONGOLIAN = /\p{Script_Extensions=Mongolian}/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI_TAIL = /[\p{Emoji_Modifier}\uFE0F]/u;
const MARK = /\p{M}/u;
const LETTER = /\p{L}/u;
/** 🏴 followed by tag letters or digits and CANCEL TAG, as the subdivision flags are spelled. */
const EMOJI_TAG_SEQUENCE = /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]+\u{E007F}/gu;
/** Scripts in which ZWJ/ZWNJ shape the text: the cursive-joining scripts, then the Brahmic ones. */
const JOINING_SCRIPTS = [
  'Arabic',
  'Syriac',
  'Nko',
  'Mongolian',
  'Mandaic',
  'Manichaean',
  'Psalter_Pahlavi',
  'Hanifi_Rohingya',
  'Sogdian',
  'Adlam',
  'Phags_Pa',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Tibetan',
  'Myanmar',
  'Khmer',
  'Tai_Tham',
  'Javanese',
  'Balinese',
  'Sundanese',
].map((script) => new RegExp(`\\p{Script_Extensions=${script}}`, 'u'));

/** True for a code point the name rules treat as invisible: Cf or default-ignorable, but not a variation selector. */
export const isInvisible = (char: string) => INVISIBLE.test(char) && !VARIATION_SELECTOR.test(char);

const sameJoiningScript = (a: string, b: string) => JOINING_SCRIPTS.some((script) => script.test(a) && script.test(b));

function joinerAllowed(chars: string[], i: number): boolean {
  // Past either end reads as '', which none of the classes below matches: a joiner at an edge joins nothing.
  // Stryker disable next-line StringLiteral: equivalent; any other text without Mongolian, pictographs, emoji tails, marks or joining-script letters reads the same (the mutant's is Latin)
  const at = (k: number) => chars[k] ?? '';
  const joiner = at(i);
  const next = at(i + 1);
  if (joiner === MONGOLIAN_VOWEL_SEPARATOR) return MONGOLIAN.test(at(i - 1)) && MONGOLIAN.test(next);
  if (joiner !== ZWJ && joiner !== ZWNJ) return false;
  // Emoji ZWJ sequence: pictograph [skin tone] [VS16] ZWJ pictograph.
  let p = i - 1;
  while (EMOJI_TAIL.test(at(p))) p--;
  if (joiner === ZWJ && PICTOGRAPH.test(at(p)) && PICTOGRAPH.test(next)) return true;
  // Letter [marks, e.g. a virama] joiner letter, all of one joining script.
  let base = i - 1;
  while (MARK.test(at(base))) base--;
  const before = at(base);
  return LETTER.test(before) && LETTER.test(next) && sameJoiningScript(before, next);
}

/**
 * The first invisible character of `name` that no rule above allows, as `U+XXXX` with its 1-based position
 * in code points; undefined when there is none.
 */
export function refusedInvisible(name: string): { codePoint: string; position: number } | undefined {
  // Every code point of an emoji tag sequence becomes the visible 🏴, so the tags pass and positions stay right.
  const chars = [...name.replace(EMOJI_TAG_SEQUENCE, (seq) => [...seq].map(() => '\u{1F3F4}').join(''))];
  for (const [i, char] of chars.entries()) {
    if (isInvisible(char) && !joinerAllowed(chars, i)) {
      return { codePoint: `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, position: i + 1 };
    }
  }
  return undefined;
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The UTS #39 skeleton of `s`: NFD, default-ignorable code points removed, every character replaced by its
 * prototype from Unicode's confusables.txt (the `unhomoglyph` package's copy), NFD again. Two strings with
 * the same skeleton are visually confusable. The mapping is many-to-one and lossy (`m` becomes `rn`, `I`
 * becomes `l`), so a skeleton is only ever compared, never stored or shown.
 */
export const skeleton = (s: string) => unhomoglyph(s.normalize('NFD').replace(DEFAULT_IGNORABLE, '')).normalize('NFD');

/**
 * What the reserved-name check compares: NFKC (fullwidth and other compatibility forms), all whitespace and
 * default-ignorable code points removed, the skeleton, lowercased, and the skeleton of that, since the
 * confusables mapping is case-sensitive and lowercasing can open new matches.
 */
export const reservedKey = (name: string) => skeleton(skeleton(name.normalize('NFKC').replace(WHITE_SPACE, '')).toLowerCase());

const RESERVED_KEY = reservedKey(RESERVED_NAME);

/**
 * True when `name` reads as `Ala` in any case, spacing, script or width, with or without invisible
 * characters: `ALA`, `A l a`, `Ａｌａ`, Greek `ΑLΑ`, Cyrillic `Аla`, `AIa` (capital I), `A1a`, `Ala\u200b`.
 * `Alan`, `Alba`, `Lala` and `Ala Moana` are ordinary names.
 */
export const isReservedName = (name: string) => reservedKey(name) === RESERVED_KEY;

const invalid = (message: string, detail: string) => new ApiError('VALIDATION_ERROR', message, [{ path: 'body.name', message: detail }]);

/**
 * The name to store for `raw`: whitespace collapsed, otherwise exactly what the client sent. Throws
 * 422 VALIDATION_ERROR for an invisible character or a length outside 1..255 after collapsing, and
 * 400 BAD_REQUEST for a name that reads as Ala unless the agent is Ala itself.
 */
export function agentName(raw: string, { isAla = false }: { isAla?: boolean } = {}): string {
  const invisible = refusedInvisible(raw);
  if (invisible) {
    throw invalid(
      `name must not contain invisible format characters; found ${invisible.codePoint} at character ${invisible.position}`,
      `must not contain the invisible character ${invisible.codePoint} (character ${invisible.position})`,
    );
  }
  const name = collapseWhitespace(raw);
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) {
    throw invalid(
      `name must be 1 to ${MAX_NAME_LENGTH} characters after collapsing whitespace`,
      `must be 1 to ${MAX_NAME_LENGTH} characters after collapsing whitespace`,
    );
  }
  if (!isAla && isReservedName(name)) {
    throw new ApiError('BAD_REQUEST', `The name ${RESERVED_NAME} is reserved for the default agent`, [
      { path: 'body.name', message: `is reserved: it reads as ${RESERVED_NAME}, the default agent's name` },
    ]);
  }
  return name;
}
