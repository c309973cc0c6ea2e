// A long-running command (serve, worker) swaps the CLI's immediate stop on SIGTERM for a graceful one once it has
// started. A supervisor may send SIGTERM the moment it reads the ready line, so a signal that arrived while the
// start-up handler was still in place must reach the graceful one, never be dropped (the server would run on).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo } from './helpers.js';

const dist = join(repo, 'packages/cli/dist');
const built = existsSync(join(dist, 'util.js'));

describe.skipIf(!built)('signals on a long-running command', () => {
  it('a SIGTERM that arrives just before the graceful handler replaces the start-up one stops the command (143)', async () => {
    // The signal is raised at itself while the start-up handler is the only one: its watcher has it, pending, when
    // stopGracefully() swaps the handlers in the same tick. A process that dropped it would run until its 5 s timer.
    const script = `
      const { exitCleanlyOnSignals } = await import(${JSON.stringify(join(dist, 'main.js'))});
      const { stopGracefully } = await import(${JSON.stringify(join(dist, 'util.js'))});
      exitCleanlyOnSignals();
      process.kill(process.pid, 'SIGTERM');
      const io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
      stopGracefully(io, 'the test', async () => { process.stdout.write('closed\\n'); });
      setTimeout(() => { process.stdout.write('still running\\n'); process.exit(0); }, 5000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect({ code, out, err }).toEqual({
      code: 143,
      out: 'closed\n',
      err: 'segkit: SIGTERM: stopping the test\n',
    });
  });
});
