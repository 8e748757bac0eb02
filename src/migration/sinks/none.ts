// The sink for `target.type: none`: the bridge keeps its accounts and delivers nowhere.
// Login already writes such jobs as `skipped`, so the worker claims nothing with this sink;
// a job handed to it anyway is skipped, which erases its password form.
import type { Sink } from './types.ts';

export function createNoneSink(): Sink {
  return {
    name: 'none',
    claims: false,
    async deliver() {
      return { outcome: 'skipped', reason: 'no_target', detail: 'target.type is none' };
    },
  };
}
