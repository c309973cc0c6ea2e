import { existsSync, mkdtempSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  fixtureModel,
  type HubServer,
  publishSlimSam,
  startHub,
} from '../../models/test/helpers/hub-server.js';
import { cli, repo } from './helpers.js';

let hub: HubServer;
beforeAll(async () => {
  hub = await startHub();
  publishSlimSam(hub);
});
afterAll(() => hub.close());
beforeEach(() => {
  process.env.SEGKIT_HUB_URL = hub.url;
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
  delete process.env.SEGKIT_OFFLINE;
});

describe('segkit models', () => {
  it('list shows every preset as missing with an estimated size on an empty cache', async () => {
    const r = await cli('models', 'list');
    expect(r.code).toBe(0);
    for (const name of [
      'sam',
      'sam-vit-base',
      'sam2-tiny',
      'sam2-small',
      'sam2-pair-tiny',
      'sam2-pair-base-plus',
      'clipseg',
      'clip',
      'detr-panoptic',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^${name} +missing +~`, 'm'));
    }
    // Every row's status starts in the same column, the longest name's included.
    const lines = r.stdout.trim().split('\n');
    expect(new Set(lines.map((l) => l.search(/\b(status|missing|ready|corrupt)\b/))).size).toBe(1);
  });

  it('pull, list, path and rm a preset through the hub mirror', async () => {
    expect((await cli('models', 'pull', 'sam')).code).toBe(0);
    expect((await cli('models', 'list')).stdout).toMatch(/^sam +ready +0\.0 MB/m);
    const path = (await cli('models', 'path', 'sam')).stdout.trim();
    expect(path).toBe(join(process.env.SEGKIT_CACHE_DIR!, 'models/Xenova/slimsam-77-uniform/main'));
    expect(existsSync(join(path, 'onnx/vision_encoder.onnx'))).toBe(true);
    expect((await cli('models', 'rm', 'sam')).code).toBe(0);
    expect(existsSync(path)).toBe(false);
    // Removing what is not there says so, with a code, instead of reporting success.
    expect(await cli('models', 'rm', 'sam')).toMatchObject({
      code: 2,
      stderr: 'segkit: E_MODEL_MISSING: sam is not in the cache; nothing was removed\n',
    });
  });

  it('the air-gapped fix that errors suggest works: import under the preset name, then segment uses it', async () => {
    process.env.SEGKIT_OFFLINE = '1';
    const out = join(mkdtempSync(join(tmpdir(), 'o-')), 'm.png');
    const coffee = join(repo, 'examples/coffee.png');
    const missing = await cli('segment', coffee, '--point', '290,150', '--model', 'sam', '-o', out);
    const hint = /`(segkit models import DIR --as sam)`/.exec(missing.stderr);
    expect(hint).not.toBeNull();
    // A folder of the wrong kind is refused, as a pull would refuse it.
    expect((await cli('models', 'import', fixtureModel('clipseg-fixture'), '--as', 'sam')).stderr).toMatch(
      /^segkit: E_MODEL_UNSUPPORTED: .* holds a "clipseg" model, but sam is a sam model/,
    );
    const r = await cli('models', 'import', fixtureModel('sam-fixture'), '--as', 'sam');
    expect(r.code).toBe(0);
    expect((await cli('models', 'list')).stdout).toMatch(/^sam +ready/m);
    const seg = await cli('segment', coffee, '--point', '290,150', '--json', '-o', out);
    expect(seg.stderr).not.toMatch(/note/);
    expect(JSON.parse(seg.stdout).model).toBe('sam');
  });

  it('after a pull, segment uses SAM by default', async () => {
    await cli('models', 'pull', 'sam');
    const r = await cli(
      'segment',
      join(repo, 'examples/coffee.png'),
      '--point',
      '290,150',
      '--json',
      '-o',
      join(mkdtempSync(join(tmpdir(), 'o-')), 'm.png'),
    );
    expect(r.stderr).not.toMatch(/note/);
    expect(JSON.parse(r.stdout).model).toBe('sam');
    // The preset takes boxes too: its pull fetched the box decoder of the repo's `boxes` revision.
    const box = await cli(
      'segment',
      join(repo, 'examples/coffee.png'),
      '--box',
      '165,12,255,300',
      '--json',
      '-o',
      join(mkdtempSync(join(tmpdir(), 'o-')), 'b.png'),
    );
    expect(box.stderr).toMatch(/^wrote /);
    expect(JSON.parse(box.stdout)).toMatchObject({ model: 'sam', scoreKind: 'predicted-iou' });
  });

  it('a truncated cached file is reported as E_MODEL_CORRUPT and a second pull fixes it', async () => {
    await cli('models', 'pull', 'sam');
    const path = (await cli('models', 'path', 'sam')).stdout.trim();
    truncateSync(join(path, 'onnx/vision_encoder.onnx'), 10);
    const broken = await cli('models', 'path', 'sam');
    expect(broken.stderr).toMatch(/^segkit: E_MODEL_CORRUPT: .*segkit models pull sam/);
    expect((await cli('models', 'list')).stdout).toMatch(/^sam +corrupt/m);
    await cli('models', 'pull', 'sam');
    expect((await cli('models', 'path', 'sam')).code).toBe(0);
  });

  it('import copies a directory under a name that --model accepts', async () => {
    const r = await cli('models', 'import', fixtureModel('sam2-fixture'), '--as', 'my-sam2');
    expect(r.code).toBe(0);
    expect((await cli('models', 'list')).stdout).toMatch(/^my-sam2 +ready .* imported/m);
    const seg = await cli(
      'segment',
      join(repo, 'examples/coffee.png'),
      '--point',
      '290,150',
      '--model',
      'my-sam2',
      '--json',
      '-o',
      join(mkdtempSync(join(tmpdir(), 'o-')), 'm.png'),
    );
    expect(JSON.parse(seg.stdout).model).toBe('my-sam2');
  });

  it('errors: a 404 repo, offline pull, a missing model path, a bad import name', async () => {
    expect((await cli('models', 'pull', 'nobody/nothing')).stderr).toMatch(
      /^segkit: E_DOWNLOAD_FAILED: .*404/,
    );
    process.env.SEGKIT_OFFLINE = '1';
    expect((await cli('models', 'pull', 'sam')).stderr).toMatch(/^segkit: E_MODEL_MISSING: Offline mode/);
    // A SAM 3 preset names its licence before anything is fetched.
    expect((await cli('models', 'pull', 'sam3')).stderr).toMatch(
      /^sam3's weights: SAM License \(Meta\).*\nsegkit: E_MODEL_MISSING: Offline mode/,
    );
    expect((await cli('models', 'path', 'sam')).stderr).toMatch(
      /^segkit: E_MODEL_MISSING: Model sam is not downloaded/,
    );
    expect((await cli('models', 'import', fixtureModel('sam-fixture'), '--as', '../x')).stderr).toMatch(
      /^segkit: E_INVALID_ARGUMENT: Expected a preset or a simple name/,
    );
    expect((await cli('models', 'pull', 'sam', '--dtype', 'fp64')).stderr).toMatch(
      /^segkit: E_USAGE: --dtype/,
    );
  });
});
