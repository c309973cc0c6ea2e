import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, readNpy, writeNpy } from '../src/index.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('.npy', () => {
  it.skipIf(!hasNumpy)(
    'is byte-for-byte what numpy.save writes, for several shapes, and numpy.load reads it back',
    () => {
      for (const shape of [[3, 4], [1, 512], [7], [0, 16], [130, 3]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1000);
        const dir = mkdtempSync(join(tmpdir(), 'npy-'));
        const ours = join(dir, 'ours.npy');
        const theirs = join(dir, 'theirs.npy');
        writeFileSync(ours, encodeNpy(data, shape));
        const py = `import numpy as np,sys\nx=np.array([float(v) for v in sys.stdin.read().split()] if ${n} else [],dtype='<f4').reshape(${JSON.stringify(shape).replace('[', '(').replace(']', ',)')})\nnp.save('${theirs}',x)\ny=np.load('${ours}')\nassert y.dtype==np.float32 and y.shape==x.shape and (y==x).all(), (y.shape,x.shape)\nprint('ok')`;
        const r = spawnSync('python3', ['-c', py], { input: Array.from(data).join(' '), encoding: 'utf8' });
        expect(r.stdout.trim(), r.stderr).toBe('ok');
        expect(readFileSync(ours).equals(readFileSync(theirs)), JSON.stringify(shape)).toBe(true);
      }
    },
  );

  it('round-trips through readNpy and rejects a wrong shape', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'npy-')), 'a.npy');
    const data = Float32Array.of(1, 2, 3, 4, 5, 6);
    await writeNpy(p, data, [2, 3]);
    expect(await readNpy(p)).toEqual({ data, shape: [2, 3] });
    expect(() => encodeNpy(data, [4, 2])).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});
