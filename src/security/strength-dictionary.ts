// zxcvbn-ts's dictionary matchers (plain, reversed, l33t, and the three the word-sequence
// matcher runs), with the same matches in a fraction of the lookups:
// - One Map over all of the dictionaries, built once per thread: a substring is looked up once,
//   not once in each of the twenty dictionaries.
// - The l33t matcher runs the dictionary scan once for every un-l33ted spelling of the password,
//   up to 100 of them, and then throws away every match whose substring holds no substitution
//   (such a substring is the password's own text, which the plain matcher already found). Here
//   only the substrings that hold a substitution are looked up, and the whole password, whose
//   match stops the later spellings as it does there.
// The index costs about 25 MB of heap and 0.3 s at the thread's first estimate, once; an estimate
// of the bench's 26-character password then takes a sixth to a ninth of the library's time
// (bench/strength.ts). Same order, same ranks, same matches: the score, the guesses and the feedback are the
// library's own; test/security/strength-dictionary.test.ts compares the two on a corpus.
//
// They take the built-in matchers' places through zxcvbn-ts's custom-matcher hook (a custom
// matcher named like a built-in one replaces it), with the library's scoring and feedback, and
// only for the estimate's options: Levenshtein matching off.
import { createRequire } from 'node:module';
import { type Matcher, MatcherBaseClass, type MatchOptions, type Options } from '@zxcvbn-ts/core';

const require = createRequire(import.meta.url);

interface Change {
  i: number;
  letter: string;
  substitution: string;
}
interface Spelling {
  password: string;
  changes: Change[];
}
type RankedDictionary = Record<string, number>;

export interface DictionaryMatch {
  pattern: 'dictionary';
  i: number;
  j: number;
  token: string;
  matchedWord: string;
  rank: number;
  dictionaryName: string;
  reversed: boolean;
  l33t: boolean;
  subs?: { letter: string; substitution: string }[];
  subDisplay?: string;
}

// The library's own pieces, from its published build (the package has no exports map).
const DIST = '@zxcvbn-ts/core/dist';
const getCleanPasswords: (password: string, limit: number, trieRoot: unknown) => Spelling[] = require(
  `${DIST}/matcher/dictionary/variants/matching/unmunger/getCleanPasswords.cjs`,
);
const dictionaryScoring: Matcher['scoring'] = require(`${DIST}/matcher/dictionary/scoring.cjs`);
const dictionaryFeedback: Matcher['feedback'] = require(`${DIST}/matcher/dictionary/feedback.cjs`);
const wordSequenceScoring: Matcher['scoring'] = require(`${DIST}/matcher/wordSequence/scoring.cjs`);
const wordSequenceFeedback: Matcher['feedback'] = require(`${DIST}/matcher/wordSequence/feedback.cjs`);
interface WordSequenceMatching {
  dictionary: unknown;
  dictionaryL33t: unknown;
  dictionaryReverse: unknown;
  match(matchOptions: MatchOptions): ReturnType<MatcherBaseClass['match']>;
}
const MatchWordSequence: new (options: Options) => MatcherBaseClass & WordSequenceMatching = require(
  `${DIST}/matcher/wordSequence/matching.cjs`,
);

const USER_INPUTS = 'userInputs';
const NONE: readonly [string, number][] = [];

/** Every word of the options' dictionaries: its [dictionary position, rank] pairs, in dictionary order. */
class DictionaryIndex {
  readonly names: string[];
  readonly #words = new Map<string, number[]>();

  constructor(ranked: Record<string, RankedDictionary>) {
    // The user's own words change with every estimate: they are looked up on their own.
    this.names = Object.keys(ranked).filter((name) => name !== USER_INPUTS);
    this.names.forEach((name, pos) => {
      for (const [word, rank] of Object.entries(ranked[name]!)) {
        const pairs = this.#words.get(word);
        if (pairs) pairs.push(pos, rank);
        else this.#words.set(word, [pos, rank]);
      }
    });
  }

  pairs(word: string): number[] | undefined {
    return this.#words.get(word);
  }
}

const indexes = new WeakMap<object, DictionaryIndex>();
function indexOf(options: Options): DictionaryIndex {
  let index = indexes.get(options.rankedDictionaries);
  if (!index) {
    index = new DictionaryIndex(options.rankedDictionaries);
    indexes.set(options.rankedDictionaries, index);
  }
  return index;
}

/**
 * A word's [dictionary name, rank] pairs for one estimate, in the order of the library's merged
 * dictionaries (the user's words in their place), with the library's length limits: a substring
 * longer than a dictionary's longest word is not looked up there, unless it is the whole password.
 */
class Lookup {
  readonly maxWidth: number;
  readonly #index: DictionaryIndex;
  readonly #maxWordSize: Record<string, number>;
  readonly #allowed: boolean[];
  readonly #user: RankedDictionary | undefined;
  readonly #userPos: number;
  readonly #ranked: Record<string, RankedDictionary>;
  readonly #names: string[];

  constructor(
    options: Options,
    wordSequenceCheck: boolean,
    userInputsOptions: MatchOptions['userInputsOptions'],
  ) {
    this.#index = indexOf(options);
    const maxWordSize: Record<string, number> = { ...options.rankedDictionariesMaxWordSize };
    const ranked: Record<string, RankedDictionary> = { ...options.rankedDictionaries };
    // As the library's mergeUserInputDictionary: the user's words join a userInputs dictionary.
    if (!wordSequenceCheck && userInputsOptions) {
      ranked[USER_INPUTS] = { ...(ranked[USER_INPUTS] ?? {}), ...userInputsOptions.rankedDictionary };
      maxWordSize[USER_INPUTS] = Math.max(
        userInputsOptions.rankedDictionaryMaxWordSize,
        maxWordSize[USER_INPUTS] ?? 0,
      );
    }
    const names = Object.keys(ranked).filter((name) => !wordSequenceCheck || options.isWordSequence(name));
    this.#names = names;
    this.#ranked = ranked;
    this.#maxWordSize = maxWordSize;
    this.maxWidth = Math.max(0, ...names.map((name) => maxWordSize[name]!));
    this.#allowed = this.#index.names.map((name) => names.includes(name));
    this.#user = names.includes(USER_INPUTS) ? ranked[USER_INPUTS] : undefined;
    // Where the user's dictionary sits among the others: before the first index name after it.
    this.#userPos = this.#user ? this.#index.names.indexOf(names[names.indexOf(USER_INPUTS) + 1] ?? '') : -1;
  }

  ranks(word: string, isWhole: boolean): readonly [string, number][] {
    if (word in Object.prototype) return this.#byObjects(word, isWhole);
    const pairs = this.#index.pairs(word);
    const userRank = this.#user?.[word];
    if (pairs === undefined && userRank === undefined) return NONE;
    const found: [string, number][] = [];
    let userDone = userRank === undefined || !this.#fits(USER_INPUTS, word, isWhole);
    if (pairs) {
      for (let k = 0; k < pairs.length; k += 2) {
        const pos = pairs[k]!;
        if (!userDone && this.#userPos >= 0 && pos >= this.#userPos) {
          found.push([USER_INPUTS, userRank!]);
          userDone = true;
        }
        const name = this.#index.names[pos]!;
        if (this.#allowed[pos] && this.#fits(name, word, isWhole)) found.push([name, pairs[k + 1]!]);
      }
    }
    if (!userDone) found.push([USER_INPUTS, userRank!]);
    return found;
  }

  #fits(name: string, word: string, isWhole: boolean): boolean {
    return isWhole || word.length <= this.#maxWordSize[name]!;
  }

  // "constructor" and "__proto__": the library's plain-object lookup finds Object.prototype's
  // members in every dictionary, and so does this, one dictionary at a time.
  #byObjects(word: string, isWhole: boolean): [string, number][] {
    const found: [string, number][] = [];
    for (const name of this.#names) {
      if (!this.#fits(name, word, isWhole)) continue;
      const rank = this.#ranked[name]![word];
      if (rank !== undefined) found.push([name, rank]);
    }
    return found;
  }
}

/** A matcher over the index; `wordSequenceCheck`: the word-sequence dictionaries only, as the library's. */
abstract class IndexedMatcher extends MatcherBaseClass {
  constructor(
    options: Options,
    private readonly wordSequenceCheck = false,
  ) {
    super(options);
    if (options.useLevenshteinDistance) {
      throw new Error(
        'the dictionary matchers of strength-dictionary.ts do no Levenshtein matching; leave it off',
      );
    }
  }

  protected lookup(userInputsOptions: MatchOptions['userInputsOptions']): Lookup {
    return new Lookup(this.options, this.wordSequenceCheck, userInputsOptions);
  }
}

/** The plain dictionary matcher, as the library's MatchDictionary. */
class PlainMatcher extends IndexedMatcher {
  match({ password, userInputsOptions }: MatchOptions): DictionaryMatch[] {
    const lookup = this.lookup(userInputsOptions);
    const lower = password.toLowerCase();
    const n = password.length;
    const matches: DictionaryMatch[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const isWhole = i === 0 && j === n - 1;
        if (j - i + 1 > lookup.maxWidth && !isWhole) break;
        const word = lower.slice(i, j + 1);
        for (const [dictionaryName, rank] of lookup.ranks(word, isWhole)) {
          matches.push({
            pattern: 'dictionary',
            i,
            j,
            token: password.slice(i, j + 1),
            matchedWord: word,
            rank,
            dictionaryName,
            reversed: false,
            l33t: false,
          });
        }
      }
    }
    return matches;
  }
}

/** The reversed-word matcher, as the library's MatchReverse. */
class ReverseMatcher extends PlainMatcher {
  override match(matchOptions: MatchOptions): DictionaryMatch[] {
    const { password } = matchOptions;
    const reversed = password.split('').reverse().join('');
    return super.match({ ...matchOptions, password: reversed }).map((m) => ({
      ...m,
      token: m.token.split('').reverse().join(''),
      reversed: true,
      i: password.length - 1 - m.j,
      j: password.length - 1 - m.i,
    }));
  }
}

/** Where the substring i..j of the un-l33ted spelling sits in the password, and its substitutions. */
function extrasOf(spelling: Spelling, i: number, j: number) {
  let iUnsubbed = i;
  let jUnsubbed = j;
  const subs: { letter: string; substitution: string }[] = [];
  const subDisplay: string[] = [];
  const seen = new Set<string>();
  for (const change of spelling.changes) {
    const diff = change.substitution.length - change.letter.length;
    if (change.i < i) {
      iUnsubbed += diff;
      jUnsubbed += diff;
    } else if (change.i <= j) {
      jUnsubbed += diff;
      const key = `${change.letter}-${change.substitution}`;
      if (!seen.has(key)) {
        seen.add(key);
        subs.push({ letter: change.letter, substitution: change.substitution });
        subDisplay.push(`${change.substitution} -> ${change.letter}`);
      }
    }
  }
  return { i: iUnsubbed, j: jUnsubbed, subs, subDisplay: subDisplay.join(', ') };
}

/** The l33t matcher, as the library's MatchL33t, looking up only what it can keep. */
class L33tMatcher extends IndexedMatcher {
  match({ password, userInputsOptions }: MatchOptions): DictionaryMatch[] {
    const lookup = this.lookup(userInputsOptions);
    const matches: DictionaryMatch[] = [];
    const kept = new Set<string>();
    let hasFullMatch = false;
    for (const spelling of getCleanPasswords(
      password,
      this.options.l33tMaxSubstitutions,
      this.options.trieNodeRoot,
    )) {
      if (hasFullMatch) break;
      const lower = spelling.password.toLowerCase();
      const n = spelling.password.length;
      const sameLength = lower.length === n;
      // nextChange[k]: the first substituted position at k or after it.
      const nextChange = new Int32Array(n + 1).fill(n);
      for (const change of spelling.changes) nextChange[change.i] = change.i;
      for (let k = n - 1; k >= 0; k--) nextChange[k] = Math.min(nextChange[k]!, nextChange[k + 1]!);
      for (let i = 0; i < n; i++) {
        const first = nextChange[i]!;
        for (let j = i; j < n; j++) {
          const isWhole = i === 0 && j === n - 1;
          if (j - i + 1 > lookup.maxWidth && !isWhole) break;
          // No substitution in i..j: its match would be the password's own text, thrown away
          // below. Unless lowercasing changed the length ("İ" becomes two characters): then the
          // library's substrings of the lowercased spelling are shifted, and it keeps some.
          if (first > j && !isWhole && sameLength) continue;
          const word = lower.slice(i, j + 1);
          const found = lookup.ranks(word, isWhole);
          if (found.length === 0) continue;
          const extras = extrasOf(spelling, i, j);
          if (extras.i === 0 && extras.j === password.length - 1) hasFullMatch = true;
          const token = password.slice(extras.i, extras.j + 1);
          // Only matches that hold an actual substitution, each once.
          if (token.toLowerCase() === word) continue;
          for (const [dictionaryName, rank] of found) {
            const key = `${extras.i}:${extras.j}:${dictionaryName}:${word}`;
            if (kept.has(key)) continue;
            kept.add(key);
            matches.push({
              pattern: 'dictionary',
              i: extras.i,
              j: extras.j,
              token,
              matchedWord: word,
              rank,
              dictionaryName,
              reversed: false,
              l33t: true,
              subs: extras.subs,
              subDisplay: extras.subDisplay,
            });
          }
        }
      }
    }
    // As the library does: single-character l33t matches ('4' for 'a') are noise.
    return matches.filter((m) => m.token.length > 1);
  }
}

/** The word-sequence matcher ("onetwothree"), with these three over its own dictionaries. */
class WordSequenceMatcher extends MatchWordSequence {
  constructor(options: Options) {
    super(options);
    this.dictionary = new PlainMatcher(options, true);
    this.dictionaryL33t = new L33tMatcher(options, true);
    this.dictionaryReverse = new ReverseMatcher(options, true);
  }
}

const dictionaryPattern = { scoring: dictionaryScoring, feedback: dictionaryFeedback };

/** The custom matchers to give ZxcvbnFactory; each keeps the library's scoring and feedback. */
export const indexedDictionaryMatchers: Record<string, Matcher> = {
  dictionary: { Matching: PlainMatcher, ...dictionaryPattern },
  dictionaryL33t: { Matching: L33tMatcher, ...dictionaryPattern },
  dictionaryReverse: { Matching: ReverseMatcher, ...dictionaryPattern },
  wordSequence: {
    Matching: WordSequenceMatcher,
    scoring: wordSequenceScoring,
    feedback: wordSequenceFeedback,
  },
};
