// ARCHITECTURE.md is the map a newcomer reads: every file or folder it names must exist, and every folder of every
// package's src/ must be named in it, so the map cannot fall behind the code. Every published package carries the
// licence.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
const map = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');

/** Backticked names that look like files or folders, with the package section they appear in. */
function named(): { name: string; pkg: string | undefined }[] {
  const out: { name: string; pkg: string | undefined }[] = [];
  let pkg: string | undefined;
  for (const line of map.split('\n')) {
    const heading = /^#{2,3} .*\(`packages\/([a-z-]+)`\)/.exec(line);
    if (heading) pkg = heading[1];
    else if (/^#{2,3} /.test(line)) pkg = undefined;
    for (const m of line.matchAll(/`([\w@./-]+)`/g)) {
      const name = m[1]!;
      if (/\.(ts|tsx|mjs|js|json|md|py)$/.test(name) || /^[\w.-]+(\/[\w.-]+)*\/$/.test(name))
        out.push({ name, pkg });
    }
  }
  return out;
}

/** Every file and folder of the repository (build outputs included, dependencies not), relative to its root. */
function allPaths(dir = root, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.git') continue;
    const p = join(dir, e.name);
    out.push(e.isDirectory() ? `${relative(root, p)}/` : relative(root, p));
    if (e.isDirectory()) allPaths(p, out);
  }
  return out;
}

/**
 * A name exists when some path is it or ends with it (a section names files inside the folder it describes); in a
 * package's section, inside that package, unless the name is a path of its own (`core/src/browser.ts`).
 */
function exists(name: string, pkg: string | undefined, paths: string[]): boolean {
  const scope = pkg && !name.includes('/') ? paths.filter((p) => p.startsWith(`packages/${pkg}/`)) : paths;
  return scope.some((p) => p === name || p.endsWith(`/${name}`));
}

function folders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [join(dir, e.name), ...folders(join(dir, e.name))]);
}

describe('ARCHITECTURE.md', () => {
  it('names only files and folders that exist', () => {
    const paths = allPaths();
    const missing = named()
      .filter(({ name, pkg }) => !exists(name, pkg, paths))
      .map(({ name, pkg }) => `${pkg ?? 'root'}: ${name}`);
    expect(missing).toEqual([]);
  });

  it('names every folder of every package’s src/', () => {
    const unnamed = readdirSync(join(root, 'packages'))
      .flatMap((pkg) => folders(join(root, 'packages', pkg, 'src')))
      .map((dir) => relative(join(root, 'packages'), dir))
      .filter((dir) => {
        const inSrc = dir.split('/').slice(2).join('/');
        return !map.includes(`\`${inSrc}/\``) && !map.includes(`\`${dir.split('/').at(-1)}/\``);
      });
    expect(unnamed).toEqual([]);
  });
});

describe('licence', () => {
  const licence = readFileSync(join(root, 'LICENSE'), 'utf8');
  const packages = readdirSync(join(root, 'packages'));
  it('LICENSE is the Apache-2.0 text every package.json names', () => {
    expect(licence).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    for (const p of packages) {
      expect(JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')).license).toBe(
        'Apache-2.0',
      );
      expect(readFileSync(join(root, 'packages', p, 'LICENSE'), 'utf8')).toBe(licence);
    }
  });

  it.each(
    packages.filter(
      (p) => !JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')).private,
    ),
  )('@segkit/%s’s tarball includes LICENSE', (p) => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: join(root, 'packages', p),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('LICENSE');
  });
});
