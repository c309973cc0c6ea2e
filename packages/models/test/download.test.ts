import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile, modelStatus, pullModel, requireModel, resolveModelRef } from '../src/index.js';
import { fixtureModel, type HubServer, publish, publishSlimSam, startHub } from './helpers/hub-server.js';

let hub: HubServer;
const encoder = 'onnx/prompt_encoder_mask_decoder.onnx';

beforeAll(async () => {
  hub = await startHub();
  publishSlimSam(hub);
  publish(hub, fixtureModel('sam-fixture'), 'someone/sam-copy');
});
afterAll(() => hub.close());
beforeEach(() => {
  process.env.SEGKIT_HUB_URL = hub.url;
  process.env.SEGKIT_CACHE_DIR = mkdtempSync(join(tmpdir(), 'segkit-cache-'));
  delete process.env.SEGKIT_OFFLINE;
  hub.requests.length = 0;
  hub.noRanges = false;
  hub.cutOnce.clear();
  hub.lies.clear();
});

const sameBytes = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));

describe('pulling from a hub mirror (SEGKIT_HUB_URL)', () => {
  it('pulls a preset into the cache in hub layout and marks it ready', async () => {
    const sam = resolveModelRef('sam');
    expect(modelStatus(sam)).toBe('missing');
    const manifest = await pullModel(sam);
    expect(manifest.modelType).toBe('sam');
    expect(Object.keys(manifest.files).sort()).toEqual([
      'boxes/onnx/prompt_encoder_mask_decoder.onnx',
      'config.json',
      'onnx/prompt_encoder_mask_decoder.onnx',
      'onnx/vision_encoder.onnx',
      'preprocessor_config.json',
    ]);
    expect(sam.dir).toBe(join(process.env.SEGKIT_CACHE_DIR!, 'models/Xenova/slimsam-77-uniform/main'));
    expect(sameBytes(join(sam.dir, encoder), join(fixtureModel('sam-fixture'), encoder))).toBe(true);
    expect(modelStatus(sam)).toBe('ready');
    expect(hub.requests.map((r) => r.path)).toContain(
      '/Xenova/slimsam-77-uniform/resolve/main/onnx/vision_encoder.onnx',
    );
    // The box decoder comes from the repo's `boxes` revision (transformers.js PR #563), beside the main one.
    expect(hub.requests.map((r) => r.path)).toContain(
      '/Xenova/slimsam-77-uniform/resolve/boxes/onnx/prompt_encoder_mask_decoder.onnx',
    );
    const boxes = 'boxes/onnx/prompt_encoder_mask_decoder.onnx';
    expect(sameBytes(join(sam.dir, boxes), join(fixtureModel('sam-fixture'), boxes))).toBe(true);
  });

  it('pulls any org/name repo, optionally at a revision', async () => {
    await pullModel(resolveModelRef('someone/sam-copy@v1.0'));
    expect(hub.requests[0]!.path).toBe('/someone/sam-copy/resolve/v1.0/config.json');
    expect(modelStatus(resolveModelRef('someone/sam-copy@v1.0'))).toBe('ready');
  });

  it('fails with E_DOWNLOAD_FAILED on a 404 and leaves the model missing', async () => {
    const ghost = resolveModelRef('nobody/nothing');
    await expect(pullModel(ghost)).rejects.toMatchObject({
      code: 'E_DOWNLOAD_FAILED',
      message: expect.stringContaining('404'),
    });
    expect(modelStatus(ghost)).toBe('missing');
  });

  it('resumes an interrupted transfer with a range request', async () => {
    hub.cutOnce.set(encoder, 3000);
    await pullModel(resolveModelRef('sam'));
    const ranged = hub.requests.filter((r) => r.path.endsWith(`/main/${encoder}`));
    expect(ranged.map((r) => r.range)).toEqual([undefined, 'bytes=3000-']);
    expect(
      sameBytes(join(resolveModelRef('sam').dir, encoder), join(fixtureModel('sam-fixture'), encoder)),
    ).toBe(true);
  });

  it('restarts from zero when the server refuses ranges', async () => {
    hub.noRanges = true;
    hub.cutOnce.set(encoder, 3000);
    await pullModel(resolveModelRef('sam'));
    expect(
      sameBytes(join(resolveModelRef('sam').dir, encoder), join(fixtureModel('sam-fixture'), encoder)),
    ).toBe(true);
  });

  it('keeps the .part file and reports a size mismatch when the server keeps sending less than it announced', async () => {
    hub.lies.add(encoder);
    hub.noRanges = true;
    await expect(pullModel(resolveModelRef('sam'))).rejects.toMatchObject({
      code: 'E_DOWNLOAD_FAILED',
      message: expect.stringMatching(/interrupted|expected/),
    });
    expect(existsSync(join(resolveModelRef('sam').dir, `${encoder}.part`))).toBe(true);
    expect(modelStatus(resolveModelRef('sam'))).toBe('missing');
  });

  it('detects a truncated cached file as corrupt, and a second pull repairs just that file', async () => {
    const sam = resolveModelRef('sam');
    await pullModel(sam);
    truncateSync(join(sam.dir, encoder), 100);
    expect(modelStatus(sam)).toBe('corrupt');
    expect(() => requireModel(sam)).toThrow(
      expect.objectContaining({
        code: 'E_MODEL_CORRUPT',
        message: expect.stringContaining('segkit models pull sam'),
      }),
    );
    hub.requests.length = 0;
    await pullModel(sam);
    expect(hub.requests.filter((r) => r.path.endsWith('.onnx')).map((r) => r.path)).toEqual([
      '/Xenova/slimsam-77-uniform/resolve/main/onnx/prompt_encoder_mask_decoder.onnx',
    ]);
    expect(requireModel(sam)).toBe(sam.dir);
  });

  it('re-pulling a ready model while the hub is down keeps the model usable', async () => {
    const sam = resolveModelRef('sam');
    await pullModel(sam);
    process.env.SEGKIT_HUB_URL = 'http://127.0.0.1:9';
    await pullModel(sam).catch(() => {});
    expect(modelStatus(sam)).toBe('ready');
  });

  it('SEGKIT_OFFLINE=1 never touches the network', async () => {
    process.env.SEGKIT_OFFLINE = '1';
    await expect(pullModel(resolveModelRef('sam'))).rejects.toMatchObject({
      code: 'E_MODEL_MISSING',
      message: expect.stringContaining('Offline'),
    });
    expect(() => requireModel(resolveModelRef('sam'))).toThrow(
      expect.objectContaining({
        code: 'E_MODEL_MISSING',
        message: expect.stringContaining('segkit models pull sam'),
      }),
    );
    expect(hub.requests).toEqual([]);
  });
});

describe('downloadFile', () => {
  it('returns false for an optional file that is absent', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'dl-')), 'x');
    expect(await downloadFile(`${hub.url}/a/b/resolve/main/tokenizer.json`, dest, { optional: true })).toBe(
      false,
    );
    expect(existsSync(dest)).toBe(false);
  });

  it('reports an unreachable server as E_DOWNLOAD_FAILED without hanging', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'dl-')), 'x');
    await expect(downloadFile('http://127.0.0.1:9/x', dest, { attempts: 2 })).rejects.toMatchObject({
      code: 'E_DOWNLOAD_FAILED',
    });
  });

  it('resumes from an existing .part left by an earlier run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    publish(hub, fixtureModel('sam-fixture'), 'part/test');
    const src = readFileSync(join(fixtureModel('sam-fixture'), encoder));
    writeFileSync(join(dir, 'f.onnx.part'), src.subarray(0, 1234));
    await downloadFile(`${hub.url}/part/test/resolve/main/${encoder}`, join(dir, 'f.onnx'));
    expect(hub.requests.at(-1)!.range).toBe('bytes=1234-');
    expect(readFileSync(join(dir, 'f.onnx')).equals(src)).toBe(true);
  });
});

describe('resolveModelRef', () => {
  it('resolves presets, repos, directories and rejects unknown names', () => {
    expect(resolveModelRef('sam2-tiny')).toMatchObject({
      kind: 'preset',
      repo: 'onnx-community/sam2.1-hiera-tiny-ONNX',
    });
    expect(resolveModelRef('org/name@dev')).toMatchObject({
      kind: 'repo',
      repo: 'org/name',
      revision: 'dev',
    });
    expect(resolveModelRef(fixtureModel('sam-fixture'))).toMatchObject({ kind: 'dir' });
    expect(() => resolveModelRef('definitely-not-a-model')).toThrow(
      expect.objectContaining({ code: 'E_MODEL_UNKNOWN' }),
    );
    expect(() => resolveModelRef('./no/such/dir')).toThrow(
      expect.objectContaining({ code: 'E_MODEL_MISSING' }),
    );
  });
});
