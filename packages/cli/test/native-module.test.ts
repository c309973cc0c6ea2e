// A native module that cannot load (an install whose scripts did not run, or a Node.js upgrade) is an installation
// problem with a known fix: one coded line naming the module and the command, never "internal error".
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asNativeModuleError } from '@segkit/core';
import { describe, expect, it } from 'vitest';
import { repo, tmp } from './helpers.js';

const bin = join(repo, 'packages/cli/bin/segkit.js');
const built = existsSync(join(repo, 'packages/cli/dist/main.js'));

describe('a native module that cannot load', () => {
  it('is recognised from what Node.js, bindings, onnxruntime and sharp say', () => {
    const cases: [string, RegExp][] = [
      [
        'Could not locate the bindings file. Tried:\n → /x/node_modules/better-sqlite3/build/better_sqlite3.node',
        /better-sqlite3 has no compiled part .*`npm rebuild better-sqlite3`/,
      ],
      [
        "The module '/x/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 127.",
        /better-sqlite3 was built for another Node\.js version/,
      ],
      [
        "Cannot find module '../bin/napi-v6/linux/x64/onnxruntime_binding.node'",
        /onnxruntime-node has no compiled part .*`npm rebuild onnxruntime-node`/,
      ],
      ['Could not load the "sharp" module using the linux-x64 runtime', /sharp .*`npm install sharp`/],
    ];
    for (const [message, expected] of cases) {
      const e = asNativeModuleError(new Error(message));
      expect(e?.code).toBe('E_NATIVE_MODULE');
      expect(e?.message).toMatch(expected);
    }
    expect(asNativeModuleError(new Error('Cannot read properties of undefined'))).toBeUndefined();
    expect(asNativeModuleError(new Error("Cannot find module './lib.js'"))).toBeUndefined();
  });

  it.skipIf(!built)('segkit serve without better-sqlite3’s binding prints the fix in one coded line', () => {
    const preload = join(tmp(), 'no-sqlite.cjs');
    writeFileSync(
      preload,
      `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/better_sqlite3\\.node$/.test(request)) {
    const e = new Error("Cannot find module '" + request + "'");
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  return load.call(this, request, ...rest);
};
`,
    );
    const r = spawnSync(
      process.execPath,
      ['--require', preload, bin, 'serve', '--data', tmp(), '--port', '0'],
      {
        encoding: 'utf8',
        env: { ...process.env, SEGKIT_CACHE_DIR: tmp() },
        timeout: 30_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^segkit: E_NATIVE_MODULE: better-sqlite3 has no compiled part \(v[\d.]+\); run `npm rebuild better-sqlite3` in the folder SegKit is installed in/,
      ),
    ]);
  });
});
