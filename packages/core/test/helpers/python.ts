import { spawnSync } from 'node:child_process';

/** True when python3 with numpy and scipy is available for reference checks. */
export const hasScipy = (() => {
  const r = spawnSync('python3', ['-c', 'import numpy, scipy.ndimage'], { encoding: 'utf8' });
  return r.status === 0;
})();

/** Runs a Python snippet with JSON on stdin and returns its JSON stdout. */
export function python<T>(code: string, input: unknown): T {
  const r = spawnSync('python3', ['-c', code], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
