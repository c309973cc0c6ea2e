import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/index.js';

export const repo = new URL('../../../', import.meta.url).pathname;
export const example = (name: string) => join(repo, 'examples', name);
export const tmp = () => mkdtempSync(join(tmpdir(), 'segkit-cli-'));

/** Runs the CLI in-process and captures what it prints. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

/**
 * The real `segkit serve` binary on `args` (port 0), until it prints its URL: the base URL, the admin token ('' for a
 * replica that joined a database whose token another server made), what it printed on stderr and stdout so far, and
 * stop() (SIGTERM; resolves with the exit code).
 */
export async function serve(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const child = spawn(
    process.execPath,
    [join(repo, 'packages/cli/bin/segkit.js'), 'serve', '--port', '0', ...args],
    { cwd: opts.cwd, env: { ...process.env, SEGKIT_CACHE_DIR: tmp(), ...opts.env } },
  );
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  const [base, token] = await new Promise<[string, string]>((resolve, reject) => {
    // 60 s: a loaded CI machine (the whole suite on two cores) starts a server and scans its folder slowly.
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s: ${stderr}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`segkit serve exited with ${code} before printing its URL: ${stderr}`));
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
      // A replica on a database whose admin token another server made prints no token.
      const m =
        /Open (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(stderr) ??
        /SegKit server on (http:\/\/127\.0\.0\.1:\d+)\nThe admin token of this database was made/.exec(
          stderr,
        );
      if (m) {
        clearTimeout(timer);
        resolve([m[1]!, m[2] ?? '']);
      }
    });
  });
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
  return { base, token, stop, stderr: () => stderr, stdout: () => stdout };
}
