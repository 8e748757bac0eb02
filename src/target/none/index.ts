// `target.type: none`: the bridge keeps its accounts and delivers nowhere. Login writes such
// jobs as skipped, so the worker claims nothing; a job handed over anyway is skipped, which
// erases what it held.
import type { TargetFormat } from '../types.ts';

export function createNoneFormat(): TargetFormat {
  return {
    type: 'none',
    delivers: false,
    updates: false,
    columns: [],
    timeoutMs: 10_000,
    cheapPasswordForm: true,
    async passwordForm() {
      return null;
    },
    preview: () => ({ payload: {}, problems: [] }),
    async deliver() {
      return { outcome: 'skipped', reason: 'no_target', detail: 'target.type is none' };
    },
  };
}
