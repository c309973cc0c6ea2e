import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The one-way dependency rule from ARCHITECTURE.md: a package may import only packages of a lower layer.
const LAYER: Record<string, number> = {
  core: 0,
  models: 1,
  datasets: 2,
  analytics: 2,
  recipes: 2.5,
  server: 3,
  cli: 4,
  web: 4,
};
const root = new URL('../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('package dependency rule', () => {
  const packages = readdirSync(join(root, 'packages'));
  it.each(packages)('%s imports only packages below it', (pkg) => {
    const violations: string[] = [];
    for (const file of sources(join(root, 'packages', pkg, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/from '@segkit\/([a-z-]+)(?:\/[a-z-]+)?'/g)) {
        const dep = m[1]!;
        if (!(dep in LAYER) || LAYER[dep]! >= LAYER[pkg]!) violations.push(`${file}: @segkit/${dep}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('only models/src/backend imports the inference runtimes', () => {
    const offenders = packages
      .flatMap((pkg) => sources(join(root, 'packages', pkg, 'src')))
      .filter((f) => !f.includes('/models/src/backend/'))
      .filter((f) => /from '(@huggingface\/transformers|onnxruntime-node)'/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('only web/src/decoder imports onnxruntime-web', () => {
    const offenders = packages
      .flatMap((pkg) => sources(join(root, 'packages', pkg, 'src')))
      .filter((f) => !f.includes('/web/src/decoder/'))
      .filter((f) => /from 'onnxruntime-web/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it.each(['core/src/browser.ts', 'models/src/browser.ts'])(
    'the browser-safe entry %s reaches no Node-only module',
    (entry) => {
      const seen = new Set<string>();
      const bad: string[] = [];
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/^(?:import|export)(?! type)[^'";]*from '([^']+)'/gm)) {
          const spec = m[1]!;
          if (spec.startsWith('.')) visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
          else bad.push(`${file.slice(root.length)} imports ${spec}`);
        }
      };
      visit(join(root, 'packages', entry));
      expect(bad).toEqual([]);
      expect(seen.size).toBeGreaterThan(1);
    },
  );

  // Files import one way inside a package too. web still holds a few type-level circles between paired modules
  // (editor/assists, editor/prompts); the packages listed here have none and keep none.
  it.each(['core', 'models', 'datasets', 'analytics', 'recipes', 'server', 'cli'])(
    '%s has no import circle between its files',
    (pkg) => {
      const files = sources(join(root, 'packages', pkg, 'src'));
      const graph = new Map<string, string[]>();
      for (const f of files) {
        const deps: string[] = [];
        for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export)\b[^'";]*from '(\.[^']+)'/gm)) {
          const target = join(f, '..', m[1]!.replace(/\.js$/, '.ts'));
          deps.push(files.includes(target) ? target : target.replace(/\.ts$/, '.tsx'));
        }
        graph.set(f, deps);
      }
      const state = new Map<string, 'open' | 'done'>();
      const path: string[] = [];
      const circles: string[] = [];
      const visit = (f: string) => {
        state.set(f, 'open');
        path.push(f);
        for (const d of graph.get(f) ?? []) {
          if (state.get(d) === 'open')
            circles.push([...path.slice(path.indexOf(d)), d].map((x) => x.slice(root.length)).join(' → '));
          else if (!state.has(d)) visit(d);
        }
        path.pop();
        state.set(f, 'done');
      };
      for (const f of files) if (!state.has(f)) visit(f);
      expect(circles).toEqual([]);
    },
  );
});
