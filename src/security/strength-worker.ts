// The worker-thread entry point of the password strength estimate: zxcvbn-ts's score of one
// password, with the user's own words. Its dictionaries load once per thread, on first use.
// Loaded by piscina from password-policy.ts, as .ts (through tsx) or as the compiled .js.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
// Imported statically: in a worker thread tsx's loader reaches static imports, not import() of a .ts file.
import { indexedDictionaryMatchers } from './strength-dictionary.ts';

export interface StrengthTask {
  password: string;
  userInputs: string[];
}

/**
 * zxcvbn-ts with the common and English dictionaries. `matchers`: 'indexed', the default, uses
 * strength-dictionary.ts's dictionary matchers (same matches, far fewer lookups); 'library' the
 * built-in ones, which the test and the bench compare them with.
 */
export async function createEstimator(matchers: 'indexed' | 'library' = 'indexed'): Promise<ZxcvbnFactory> {
  const [core, common, english] = await Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]);
  return new core.ZxcvbnFactory(
    {
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
    },
    matchers === 'indexed' ? indexedDictionaryMatchers : {},
  );
}

let zxcvbn: Promise<ZxcvbnFactory> | undefined;

export default async function strengthWorker(task: StrengthTask): Promise<number> {
  zxcvbn ??= createEstimator();
  return (await zxcvbn).check(task.password, task.userInputs).score;
}
