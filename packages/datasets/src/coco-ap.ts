// COCO-style AP, as pycocotools' COCOeval computes it (iouType segm or bbox, default parameters): the same IoU rules
// (a box prefilter, crowd IoU = intersection / detection area, two empty masks → 0), the same greedy matching by score
// with COCOeval's tie-breaking (stable sorts), the same accumulation over 101 recall points and the same 12 figures.
import {
  boxIou,
  InvalidArgumentError,
  type ParsedRle,
  parseRle,
  polygonsToRle,
  type Rle,
  rleIouMatrix,
} from '@segkit/core';

export type IouType = 'segm' | 'bbox';

/** A ground-truth annotation or a detection, as COCO files and results lists hold them. */
export interface CocoAnn {
  id?: number;
  image_id: number;
  category_id: number;
  bbox?: number[];
  segmentation?: number[][] | { size: [number, number]; counts: string | number[] };
  area?: number;
  iscrowd?: number | boolean;
  score?: number;
  ignore?: number;
}
/** The parts of a COCO ground-truth file that AP needs. */
export interface CocoGt {
  images: { id: number; width: number; height: number }[];
  categories: { id: number; name?: string }[];
  annotations: CocoAnn[];
}

interface Obj {
  id: number;
  area: number;
  iscrowd: boolean;
  ignore: boolean;
  score: number;
  bbox: [number, number, number, number];
  rle?: ParsedRle;
}

export interface ApStats {
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARs: number;
  ARm: number;
  ARl: number;
}

export interface ApResult {
  iouType: IouType;
  stats: ApStats;
  /** Area "all", 100 detections: mean precision over IoU thresholds and recall points, by category id. */
  per_category_AP: Record<string, number>;
  /** Interpolated precision at the 101 recall points, area all, 100 detections, IoU .50 and mean over .50:.95. */
  curves: { category: number; iou50: number[]; mean: number[] }[];
  counts: { images: number; categories: number; gt: number; detections: number };
}

/** numpy.linspace(start, stop, num), element for element. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}
const IOU_THRS = linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1);
const REC_THRS = linspace(0, 1, Math.round(1 / 0.01) + 1);
const MAX_DETS = [1, 10, 100];
const AREA_RNG: [number, number][] = [
  [0, 1e5 ** 2],
  [0, 32 ** 2],
  [32 ** 2, 96 ** 2],
  [96 ** 2, 1e5 ** 2],
];
const EPS = 2.220446049250313e-16; // numpy.spacing(1)

/** A GT or detection segmentation as pycocotools' annToRLE gives it (polygons merged, uncompressed encoded). */
function toRle(seg: CocoAnn['segmentation'], h: number, w: number, what: string): ParsedRle {
  if (Array.isArray(seg)) {
    return parseRle(polygonsToRle(seg, h, w));
  }
  if (seg && Array.isArray(seg.size) && (typeof seg.counts === 'string' || Array.isArray(seg.counts))) {
    return parseRle({ size: seg.size, counts: seg.counts } as Rle);
  }
  throw new InvalidArgumentError(`${what}: a segmentation must be polygons or an RLE {size, counts}`);
}

/** numpy.argsort(keys, kind='mergesort'): a stable ascending order. */
const stableOrder = (keys: number[]) =>
  keys
    .map((k, i) => [k, i] as const)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1])
    .map(([, i]) => i);

interface EvalImg {
  dtScores: number[];
  /** [threshold][detection]: matched GT id, 0 when unmatched. */
  dtMatches: number[][];
  dtIgnore: boolean[][];
  gtIgnore: boolean[];
}

/**
 * COCO AP of detections against ground truth. `gt` is a COCO file's object; `dt` a results list (or the annotations
 * of a COCO file with scores). Unknown image or category ids in `dt` are refused, naming the first.
 */
export function cocoAp(gt: CocoGt, dt: CocoAnn[], iouType: IouType = 'segm'): ApResult {
  const images = new Map(gt.images.map((i) => [i.id, i]));
  const catIds = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const catSet = new Set(catIds);
  const imgIds = [...images.keys()].sort((a, b) => a - b);
  for (const [n, d] of dt.entries()) {
    if (!images.has(d.image_id))
      throw new InvalidArgumentError(
        `Detection ${n} has image_id ${d.image_id}, which the ground truth has no image of`,
      );
    if (!catSet.has(d.category_id))
      throw new InvalidArgumentError(
        `Detection ${n} has category_id ${d.category_id}, which the ground truth has no category of`,
      );
    if (typeof d.score !== 'number' || !Number.isFinite(d.score))
      throw new InvalidArgumentError(`Detection ${n} has no numeric score`);
  }
  const key = (img: number, cat: number) => `${img}:${cat}`;
  const gts = new Map<string, Obj[]>();
  const dts = new Map<string, Obj[]>();
  const push = (m: Map<string, Obj[]>, k: string, o: Obj) => {
    const l = m.get(k);
    if (l) l.push(o);
    else m.set(k, [o]);
  };
  for (const [n, a] of gt.annotations.entries()) {
    const img = images.get(a.image_id);
    if (!img || !catSet.has(a.category_id)) continue;
    const crowd = Boolean(a.iscrowd);
    const o: Obj = {
      id: a.id ?? n + 1,
      area: a.area ?? 0,
      iscrowd: crowd,
      ignore: crowd,
      score: 0,
      bbox: (a.bbox ?? [0, 0, 0, 0]) as [number, number, number, number],
    };
    if (iouType === 'segm')
      o.rle = toRle(a.segmentation, img.height, img.width, `Ground-truth annotation ${o.id}`);
    push(gts, key(a.image_id, a.category_id), o);
  }
  // COCO.loadRes: a result with a bbox takes its area from the box (and a box polygon when it has no mask);
  // one with only a mask takes area and bbox from the mask.
  for (const [n, d] of dt.entries()) {
    const img = images.get(d.image_id)!;
    const o: Obj = { id: n + 1, area: 0, iscrowd: false, ignore: false, score: d.score!, bbox: [0, 0, 0, 0] };
    const hasBox = Array.isArray(d.bbox) && d.bbox.length === 4;
    if (hasBox) {
      const [x, y, w, h] = d.bbox as [number, number, number, number];
      o.bbox = [x, y, w, h];
      o.area = w * h;
      if (iouType === 'segm')
        o.rle = d.segmentation
          ? toRle(d.segmentation, img.height, img.width, `Detection ${n}`)
          : toRle([[x, y, x, y + h, x + w, y + h, x + w, y]], img.height, img.width, `Detection ${n}`);
    } else if (d.segmentation) {
      o.rle = toRle(d.segmentation, img.height, img.width, `Detection ${n}`);
      o.area = o.rle.area;
      o.bbox = o.rle.bbox;
    } else throw new InvalidArgumentError(`Detection ${n} has neither a bbox nor a segmentation`);
    push(dts, key(d.image_id, d.category_id), o);
  }
  const byScore = (list: Obj[]) => stableOrder(list.map((d) => -d.score)).map((i) => list[i]!);
  // computeIoU: detections by score (first 100), against every GT of the image and category.
  const ious = new Map<string, number[][]>();
  for (const img of imgIds)
    for (const cat of catIds) {
      const k = key(img, cat);
      const g = gts.get(k) ?? [];
      const d = byScore(dts.get(k) ?? []).slice(0, MAX_DETS.at(-1));
      if (!g.length || !d.length) continue;
      if (iouType === 'segm') {
        const m = rleIouMatrix(
          d.map((x) => x.rle!),
          g.map((x) => x.rle!),
          g.map((x) => x.iscrowd),
        );
        ious.set(
          k,
          d.map((_, i) => Array.from(m.subarray(i * g.length, (i + 1) * g.length))),
        );
      } else
        ious.set(
          k,
          d.map((dd) => g.map((gg) => boxIou(dd.bbox, gg.bbox, gg.iscrowd))),
        );
    }
  const T = IOU_THRS.length;
  const maxDet = MAX_DETS.at(-1)!;
  // evaluateImg for every category, area range and image, in COCOeval's order.
  const evalImgs: (EvalImg | null)[] = [];
  for (const cat of catIds)
    for (const aRng of AREA_RNG)
      for (const img of imgIds) {
        const k = key(img, cat);
        const gAll = gts.get(k) ?? [];
        const dAll = dts.get(k) ?? [];
        if (!gAll.length && !dAll.length) {
          evalImgs.push(null);
          continue;
        }
        const gIgnore = gAll.map((g) => g.ignore || g.area < aRng[0] || g.area > aRng[1]);
        const gtind = stableOrder(gIgnore.map((x) => (x ? 1 : 0)));
        const g = gtind.map((i) => gAll[i]!);
        const gtIg = gtind.map((i) => gIgnore[i]!);
        const d = byScore(dAll).slice(0, maxDet);
        const full = ious.get(k);
        const iou = full ? full.map((row) => gtind.map((i) => row[i]!)) : [];
        const gtm = Array.from({ length: T }, () => new Array<number>(g.length).fill(0));
        const dtm = Array.from({ length: T }, () => new Array<number>(d.length).fill(0));
        const dtIg = Array.from({ length: T }, () => new Array<boolean>(d.length).fill(false));
        if (iou.length)
          for (let t = 0; t < T; t++)
            for (let di = 0; di < d.length; di++) {
              let best = Math.min(IOU_THRS[t]!, 1 - 1e-10);
              let m = -1;
              for (let gi = 0; gi < g.length; gi++) {
                if (gtm[t]![gi]! > 0 && !g[gi]!.iscrowd) continue;
                if (m > -1 && !gtIg[m] && gtIg[gi]) break;
                if (iou[di]![gi]! < best) continue;
                best = iou[di]![gi]!;
                m = gi;
              }
              if (m === -1) continue;
              dtIg[t]![di] = gtIg[m]!;
              dtm[t]![di] = g[m]!.id;
              gtm[t]![m] = d[di]!.id;
            }
        for (let t = 0; t < T; t++)
          for (let di = 0; di < d.length; di++)
            if (dtm[t]![di] === 0 && (d[di]!.area < aRng[0] || d[di]!.area > aRng[1])) dtIg[t]![di] = true;
        evalImgs.push({ dtScores: d.map((x) => x.score), dtMatches: dtm, dtIgnore: dtIg, gtIgnore: gtIg });
      }
  // accumulate
  const R = REC_THRS.length;
  const K = catIds.length;
  const A = AREA_RNG.length;
  const M = MAX_DETS.length;
  const I = imgIds.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const pIdx = (t: number, r: number, k: number, a: number, m: number) =>
    (((t * R + r) * K + k) * A + a) * M + m;
  const rIdx = (t: number, k: number, a: number, m: number) => ((t * K + k) * A + a) * M + m;
  for (let k = 0; k < K; k++)
    for (let a = 0; a < A; a++)
      for (let m = 0; m < M; m++) {
        const md = MAX_DETS[m]!;
        const E = evalImgs
          .slice((k * A + a) * I, (k * A + a + 1) * I)
          .filter((e): e is EvalImg => e !== null);
        if (!E.length) continue;
        const scores: number[] = [];
        const matches: number[][] = Array.from({ length: T }, () => []);
        const ignores: boolean[][] = Array.from({ length: T }, () => []);
        for (const e of E) {
          const n = Math.min(md, e.dtScores.length);
          scores.push(...e.dtScores.slice(0, n));
          for (let t = 0; t < T; t++) {
            matches[t]!.push(...e.dtMatches[t]!.slice(0, n));
            ignores[t]!.push(...e.dtIgnore[t]!.slice(0, n));
          }
        }
        const npig = E.reduce((s, e) => s + e.gtIgnore.filter((x) => !x).length, 0);
        if (npig === 0) continue;
        const inds = stableOrder(scores.map((s) => -s));
        for (let t = 0; t < T; t++) {
          const nd = inds.length;
          const rc = new Float64Array(nd);
          const pr = new Array<number>(nd);
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const i = inds[j]!;
            const ig = ignores[t]![i]!;
            const matched = matches[t]![i]! !== 0;
            if (matched && !ig) tp++;
            if (!matched && !ig) fp++;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[rIdx(t, k, a, m)] = nd ? rc[nd - 1]! : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
          // numpy.searchsorted(rc, recThrs, side='left'); recall points past the last detection stay 0.
          let j = 0;
          for (let r = 0; r < R; r++) {
            while (j < nd && rc[j]! < REC_THRS[r]!) j++;
            if (j >= nd) {
              for (let rr = r; rr < R; rr++) precision[pIdx(t, rr, k, a, m)] = 0;
              break;
            }
            precision[pIdx(t, r, k, a, m)] = pr[j]!;
          }
        }
      }
  const mean = (values: number[]) => {
    const v = values.filter((x) => x > -1);
    return v.length ? v.reduce((s, x) => s + x, 0) / v.length : -1;
  };
  const summarize = (ap: boolean, iouThr: number | null, area: number, md: number) => {
    const m = MAX_DETS.indexOf(md);
    const ts =
      iouThr === null ? IOU_THRS.map((_, t) => t) : IOU_THRS.flatMap((x, t) => (x === iouThr ? [t] : []));
    const values: number[] = [];
    for (const t of ts)
      for (let k = 0; k < K; k++)
        if (ap) for (let r = 0; r < R; r++) values.push(precision[pIdx(t, r, k, area, m)]!);
        else values.push(recall[rIdx(t, k, area, m)]!);
    return mean(values);
  };
  const stats: ApStats = {
    AP: summarize(true, null, 0, 100),
    AP50: summarize(true, 0.5, 0, 100),
    AP75: summarize(true, 0.75, 0, 100),
    APs: summarize(true, null, 1, 100),
    APm: summarize(true, null, 2, 100),
    APl: summarize(true, null, 3, 100),
    AR1: summarize(false, null, 0, 1),
    AR10: summarize(false, null, 0, 10),
    AR100: summarize(false, null, 0, 100),
    ARs: summarize(false, null, 1, 100),
    ARm: summarize(false, null, 2, 100),
    ARl: summarize(false, null, 3, 100),
  };
  const per_category_AP: Record<string, number> = {};
  const curves: ApResult['curves'] = [];
  catIds.forEach((cat, k) => {
    const values: number[] = [];
    for (let t = 0; t < T; t++) for (let r = 0; r < R; r++) values.push(precision[pIdx(t, r, k, 0, 2)]!);
    per_category_AP[String(cat)] = mean(values);
    const at = (t: number) => Array.from({ length: R }, (_, r) => precision[pIdx(t, r, k, 0, 2)]!);
    curves.push({
      category: cat,
      iou50: at(0),
      mean: Array.from({ length: R }, (_, r) =>
        mean(IOU_THRS.map((_, t) => precision[pIdx(t, r, k, 0, 2)]!)),
      ),
    });
  });
  return {
    iouType,
    stats,
    per_category_AP,
    curves,
    counts: { images: imgIds.length, categories: K, gt: gt.annotations.length, detections: dt.length },
  };
}
