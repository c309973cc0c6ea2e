/** Minimal benchmark harness: warm up, run N times, report the median and spread. Never used in tests. */
export interface BenchResult {
  name: string;
  median: number;
  min: number;
  max: number;
  runs: number;
}

export async function bench(
  name: string,
  fn: () => unknown,
  opts: { runs?: number; warmup?: number } = {},
): Promise<BenchResult> {
  const runs = opts.runs ?? 15;
  for (let i = 0; i < (opts.warmup ?? 3); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { name, median, min: times[0]!, max: times[times.length - 1]!, runs };
}

export function printTable(
  title: string,
  results: BenchResult[],
  targets: Record<string, number> = {},
): void {
  console.log(`\n${title}`);
  console.log(
    `${'benchmark'.padEnd(52)}${'median ms'.padStart(11)}${'min'.padStart(9)}${'max'.padStart(9)}  target`,
  );
  for (const r of results) {
    const t = targets[r.name];
    const verdict = t === undefined ? '' : `${r.median <= t ? 'OK' : 'MISSED'} (≤ ${t} ms)`;
    console.log(
      `${r.name.padEnd(52)}${r.median.toFixed(2).padStart(11)}${r.min.toFixed(2).padStart(9)}${r.max.toFixed(2).padStart(9)}  ${verdict}`,
    );
  }
}
