/** Something that reports progress: `update(done)` as work proceeds, `finish()` at the end. */
export interface Progress {
  update(done: number, total?: number): void;
  finish(): void;
}

/** A progress reporter that does nothing (non-TTY output, tests). */
export const silentProgress: Progress = { update() {}, finish() {} };

const fmtBytes = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(0)} kB`
        : `${n} B`;

/**
 * A one-line progress bar redrawn in place on a TTY stream (at most every 100 ms).
 * Use `progressBar(...)` to get a silent reporter when the stream is not a terminal.
 * @example const bar = progressBar('sam vision_encoder.onnx', { total: 1e8, unit: 'bytes' }); bar.update(5e7); bar.finish();
 */
export function progressBar(
  label: string,
  opts: { total?: number; unit?: 'bytes' | 'items'; stream?: NodeJS.WriteStream } = {},
): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!stream.isTTY) return silentProgress;
  let total = opts.total;
  let last = 0;
  let done = 0;
  const fmt = opts.unit === 'bytes' ? fmtBytes : String;
  const draw = () => {
    const width = 28;
    const frac = total ? Math.min(1, done / total) : 0;
    const bar = total
      ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${(frac * 100).toFixed(0).padStart(3)}%`
      : '';
    stream.write(`\r${label} ${bar} ${fmt(done)}${total ? ` / ${fmt(total)}` : ''}\x1b[K`);
  };
  return {
    update(d, t) {
      done = d;
      if (t !== undefined) total = t;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    finish() {
      draw();
      stream.write('\n');
    },
  };
}
