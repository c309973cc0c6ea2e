// SegKit against pycocotools, side by side, on the RLE operations COCO tooling runs most: the IoU matrix, merge and
// area + bbox, each starting from COCO strings (as a file delivers them), plus SegKit's IoU matrix on RLEs parsed
// once. Rounds alternate between the two, and the ratio of each round is taken from the same minute of the machine:
// on a shared machine the speed of both drifts together. Needs `python3` with pycocotools; without it, says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rleArea, rleBbox, rleIouMatrix, rleMerge } from '../packages/core/src/index.js';
import { discRles } from './core.bench.js';
import { bench } from './harness.js';

const script = fileURLToPath(new URL('./reference/pycocotools_rle.py', import.meta.url));

interface Round {
  iou: number;
  merge: number;
  areaBbox: number;
}

async function segkitRound(): Promise<Round & { iouParsed: number }> {
  const discs = discRles();
  const fresh = () => discs.map((r) => ({ size: r.size, counts: r.counts }));
  const opts = { runs: 51, warmup: 20 };
  return {
    iou: (await bench('iou', () => rleIouMatrix(fresh(), fresh()), opts)).median,
    iouParsed: (await bench('iou parsed', () => rleIouMatrix(discs, discs), opts)).median,
    merge: (await bench('merge', () => rleMerge(fresh()), opts)).median,
    areaBbox: (
      await bench(
        'area+bbox',
        () => {
          for (const r of fresh()) {
            rleArea(r);
            rleBbox(r);
          }
        },
        opts,
      )
    ).median,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Lines for the bench report: per operation, both medians and the median ratio over `rounds` alternating rounds. */
export async function runPycocotoolsComparison(rounds = 3): Promise<string[]> {
  const python = process.env.PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import pycocotools.mask'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return [
      'pycocotools side by side: skipped, `import pycocotools.mask` fails in python3 (install pycocotools, or set',
      'PYTHON to an interpreter that has it, to compare; the targets below the table are its figures on this machine class).',
    ];
  }
  const dir = mkdtempSync(join(tmpdir(), 'segkit-pycoco-'));
  try {
    const file = join(dir, 'rles.json');
    writeFileSync(file, JSON.stringify(discRles()));
    const ours: (Round & { iouParsed: number })[] = [];
    const theirs: Round[] = [];
    for (let k = 0; k < rounds; k++) {
      ours.push(await segkitRound());
      const run = spawnSync(python, [script, file], { encoding: 'utf8' });
      if (run.status !== 0)
        return [`pycocotools side by side: the reference script failed: ${run.stderr.trim()}`];
      theirs.push(JSON.parse(run.stdout) as Round);
    }
    const row = (name: string, mine: (r: Round & { iouParsed: number }) => number, ref: keyof Round) => {
      const ratios = ours.map((o, k) => mine(o) / theirs[k]![ref]);
      return `${name.padEnd(44)}${median(ours.map(mine)).toFixed(2).padStart(9)}${median(
        theirs.map((t) => t[ref]),
      )
        .toFixed(2)
        .padStart(
          12,
        )}${median(ratios).toFixed(2).padStart(8)}  (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
    };
    return [
      `\nSegKit / pycocotools, 100 RLEs of discs on 640×480, ${rounds} alternating rounds (median ms of 51 runs each)`,
      `${'operation'.padEnd(44)}${'SegKit'.padStart(9)}${'pycocotools'.padStart(12)}${'ratio'.padStart(8)}  (range)`,
      row('IoU matrix 100×100 from strings', (o) => o.iou, 'iou'),
      row('IoU matrix 100×100 parsed once (vs strings)', (o) => o.iouParsed, 'iou'),
      row('merge 100 from strings', (o) => o.merge, 'merge'),
      row('area + bbox of 100 from strings', (o) => o.areaBbox, 'areaBbox'),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
