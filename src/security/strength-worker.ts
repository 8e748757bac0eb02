// The worker-thread entry point of the password strength estimate: zxcvbn-ts's score of one
// password, with the user's own words. Its dictionaries load once per thread, on first use.
// Loaded by piscina from password-policy.ts, as .ts (through tsx) or as the compiled .js.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

export interface StrengthTask {
  password: string;
  userInputs: string[];
}

let zxcvbn: Promise<ZxcvbnFactory> | undefined;
function estimator(): Promise<ZxcvbnFactory> {
  zxcvbn ??= Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]).then(
    ([core, common, english]) =>
      new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...english.dictionary },
        graphs: common.adjacencyGraphs,
        translations: english.translations,
      }),
  );
  return zxcvbn;
}

export default async function strengthWorker(task: StrengthTask): Promise<number> {
  return (await estimator()).check(task.password, task.userInputs).score;
}
