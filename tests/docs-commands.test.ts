// Runs every command of the README's and the docs' shell blocks, as a new user would paste them, so the docs cannot
// drift from the code. Each document runs in a fresh folder that holds the repository's examples/ and fixtures/ and a
// few stand-in inputs for the placeholder files the docs name (wall.jpg, photos/, …). The model cache is empty and
// SEGKIT_OFFLINE=1, so a command that needs a real model must say so with E_MODEL_MISSING (it "needs a download");
// in a block that pulls a model, the commands after such a line are skipped. Every other command must succeed, and a
// comment line holding JSON right after a command is checked against what it printed.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = new URL('../', import.meta.url).pathname;
const bin = join(repo, 'packages/cli/bin/segkit.js');
const built = existsSync(join(repo, 'packages/cli/dist/main.js'));
const DOCS = [
  'README.md',
  'docs/analytics.md',
  'docs/datasets.md',
  'docs/models.md',
  'docs/masks.md',
  'docs/server.md',
  'docs/web.md',
  'docs/classify.md',
  'docs/security.md',
  'docs/recipes.md',
  'docs/deploy.md',
];
/** Lines the test does not run, and why. */
const NOT_RUN: [RegExp, string][] = [
  [/^npm (ci|test)\b|&& npm test/, 'the install and the test suite are what CI runs around this test'],
  [/^npm run bench\b/, 'benchmarks are timed runs, never tests'],
  [/^npm run (build|test:e2e)\b/, 'the install builds everything, and .ci/run runs the browser tests'],
  [
    /\bsegkit serve\b/,
    'starts a server that runs until stopped; packages/cli/test/serve.test.ts and the browser tests (tests/e2e/) run it',
  ],
  [
    /\bsegkit worker\b/,
    'runs jobs until stopped, beside PostgreSQL, Redis and S3; packages/cli/test/cluster.test.ts runs it',
  ],
  [
    /\bpostgres:\/\//,
    'needs a PostgreSQL database (and an S3 bucket); packages/cli/test/team.test.ts runs db copy and doctor on both',
  ],
  [
    /^sudo\b|\/srv\//,
    'sets up system services and their folders; tests/deploy-doc.test.ts follows the team set-up on throwaway ones',
  ],
  [/^curl\b/, 'talks to a running server; packages/server/test/ covers every route'],
  [
    /^npm run (soak|crashloop|fuzz)\b/,
    'long harness runs; .ci/run runs the soak and crash loop at CI size and tests/fuzz.test.ts a seeded fuzzing run',
  ],
];
/** Placeholder inputs the docs name, and the stand-in each gets here. */
const STAND_INS = ['wall.jpg', 'shelf.jpg', 'street.jpg', 'IMG_0042.jpg'];

/** The shell blocks of a Markdown file, each as its lines. */
function shellBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (current === undefined && /^```(sh|bash|shell)\s*$/.test(line)) current = [];
    else if (current !== undefined && line.startsWith('```')) {
      blocks.push(current);
      current = undefined;
    } else current?.push(line);
  }
  return blocks;
}

/** A folder to run one document in: examples/ and fixtures/ linked in, stand-ins, and `segkit`/`npx` shims. */
function sandbox(): { dir: string; env: NodeJS.ProcessEnv; own: Set<string> } {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-docs-'));
  for (const d of ['examples', 'fixtures']) symlinkSync(join(repo, d), join(dir, d));
  for (const f of STAND_INS) cpSync(join(repo, 'examples/coffee.png'), join(dir, f));
  mkdirSync(join(dir, 'photos'));
  for (const f of ['img00.png', 'img01.png', 'img02.png'])
    cpSync(join(repo, 'examples/shapes', f), join(dir, 'photos', f));
  writeFileSync(join(dir, 'prompts.json'), '{"crack": ["segment crack", "segment wall crack"]}\n');
  const shims = join(dir, '.bin');
  mkdirSync(shims);
  writeFileSync(join(shims, 'segkit'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, {
    mode: 0o755,
  });
  writeFileSync(
    join(shims, 'npx'),
    `#!/bin/sh\nif [ "$1" = segkit ]; then shift; exec "${process.execPath}" "${bin}" "$@"; fi\necho "the docs test runs only npx segkit" >&2\nexit 97\n`,
    { mode: 0o755 },
  );
  const env = {
    ...process.env,
    PATH: `${shims}:${process.env.PATH}`,
    SEGKIT_CACHE_DIR: mkdtempSync(join(tmpdir(), 'segkit-docs-cache-')),
    SEGKIT_OFFLINE: '1',
    HOME: dir, // anything a command writes under ~ stays in the sandbox
  };
  return { dir, env, own: new Set(readdirSync(dir)) };
}

interface Outcome {
  line: string;
  status: 'passed' | 'needs a download' | 'after a download' | 'not run' | 'failed';
  detail?: string;
}

function runDocument(doc: string): { outcomes: Outcome[]; dir: string; own: Set<string> } {
  const { dir, env, own } = sandbox();
  const outcomes: Outcome[] = [];
  for (const block of shellBlocks(readFileSync(join(repo, doc), 'utf8'))) {
    const vars: string[] = [];
    let gated = false;
    let last: { stdout: string; outcome: Outcome } | undefined;
    for (const raw of block) {
      const line = raw.trim();
      if (!line) continue;
      if (line.startsWith('#')) {
        const expected = /^#\s*(\{.*\})\s*$/.exec(line)?.[1];
        if (expected && last?.outcome.status === 'passed') {
          try {
            expect(JSON.parse(last.stdout)).toMatchObject(JSON.parse(expected));
          } catch (e) {
            last.outcome.status = 'failed';
            last.outcome.detail = `printed ${last.stdout.trim()}, the docs show ${expected}: ${(e as Error).message.split('\n')[0]}`;
          }
        }
        continue;
      }
      const command = line.replace(/\s+#\s.*$/, '');
      if (/^[A-Z_]+=\S+$/.test(command)) {
        vars.push(`export ${command}`);
        continue;
      }
      const skip = NOT_RUN.find(([re]) => re.test(command));
      if (skip) {
        outcomes.push({ line: command, status: 'not run', detail: skip[1] });
        continue;
      }
      const r = spawnSync('bash', ['-o', 'pipefail', '-c', [...vars, command].join('\n')], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 180_000,
      });
      const outcome: Outcome = { line: command, status: 'passed' };
      if (r.status !== 0) {
        if (/E_MODEL_MISSING/.test(r.stderr)) {
          outcome.status = 'needs a download';
          gated = true;
        } else if (gated) outcome.status = 'after a download';
        else {
          outcome.status = 'failed';
          outcome.detail = `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
        }
      }
      outcomes.push(outcome);
      last = { stdout: r.stdout, outcome };
    }
  }
  return { outcomes, dir, own };
}

describe.skipIf(!built)('every command in the README and docs works as written', () => {
  it.each(DOCS)(
    '%s',
    (doc) => {
      const { outcomes, dir, own } = runDocument(doc);
      // What each command did, for people reading CI output or a closing note: reports/docs-commands/<doc>.json.
      const report = join(repo, 'reports/docs-commands', `${doc.replaceAll('/', '_')}.json`);
      mkdirSync(dirname(report), { recursive: true });
      writeFileSync(report, `${JSON.stringify(outcomes, null, 2)}\n`);
      const failed = outcomes.filter((o) => o.status === 'failed');
      expect(failed.map((o) => `${o.line}\n    ${o.detail}`)).toEqual([]);
      if (doc === 'README.md') {
        expect(outcomes.filter((o) => o.status === 'passed').length).toBeGreaterThanOrEqual(25);
        // What the commands wrote is ignored by git (and so by the linter), wherever a user runs them in the clone.
        const written = readdirSync(dir).filter((f) => !own.has(f));
        expect(written.length).toBeGreaterThan(10);
        const notIgnored = written
          .map((f) => (statSync(join(dir, f)).isDirectory() ? `${f}/` : f))
          .filter(
            (f) => spawnSync('git', ['check-ignore', '-q', '--no-index', f], { cwd: repo }).status !== 0,
          );
        expect(notIgnored).toEqual([]);
      }
    },
    600_000,
  );
});
