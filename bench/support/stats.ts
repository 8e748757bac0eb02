// Small helpers the benches share: rounding for the report, and lanes of concurrent work
// that run until a count or a deadline is reached.

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/**
 * Runs `lanes` loops of `task` concurrently until `total` tasks have started (when given)
 * or `durationMs` has passed; returns how many completed and the wall time they took.
 */
export async function runLanes(
  lanes: number,
  task: (i: number) => Promise<void>,
  limit: { total?: number; durationMs?: number },
): Promise<{ completed: number; seconds: number }> {
  let started = 0;
  let completed = 0;
  const begin = process.hrtime.bigint();
  const deadline = limit.durationMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + limit.durationMs;
  const lane = async () => {
    while ((limit.total === undefined || started < limit.total) && Date.now() < deadline) {
      const i = started++;
      await task(i);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { completed, seconds: Number(process.hrtime.bigint() - begin) / 1e9 };
}
