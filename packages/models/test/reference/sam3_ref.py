"""An independent reference for SegKit's SAM 3 pre- and post-processing, in numpy.

SegKit runs the graphs and writes, per case, what it fed them and what they answered (case.json + .npy files). This
script recomputes from the image and the prompt alone what the feeds must be (pixels: PIL-style antialiased bilinear
resize to 1008x1008 and (x/255 - 0.5)/0.5; token ids: CLIP's byte-level BPE from the folder's vocab.json and
merges.txt; exemplar boxes: normalised cx, cy, w, h with labels 1/0), checks the fed ones against them, and
post-processes the graphs' raw outputs the way the reference processor does. It writes result.json and masks.npy
for the test to compare with SegKit's instances.
"""
import json
import re
import sys
from pathlib import Path

import numpy as np

SIDE = 1008


def triangle_weights(n_in, n_out):
    """[n_out, n_in] resampling matrix of PIL's BILINEAR filter (support widened by the scale when shrinking)."""
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support = fscale
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = (i + 0.5) * scale
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        j = np.arange(lo, hi)
        k = np.maximum(0.0, 1.0 - np.abs((j - centre + 0.5) / fscale))
        w[i, lo:hi] = k / (k.sum() or 1.0)
    return w


def pixels(rgb):
    h, w, _ = rgb.shape
    wy, wx = triangle_weights(h, SIDE), triangle_weights(w, SIDE)
    return np.stack([wy @ rgb[:, :, c].astype(np.float64) @ wx.T for c in range(3)])  # [3, 1008, 1008], 0-255


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def clip_tokens(text, folder, pad_zero):
    vocab = json.loads((folder / "vocab.json").read_text())
    merges = (folder / "merges.txt").read_text().split("\n")[1:]
    ranks = {tuple(m.split()): i for i, m in enumerate(merges) if len(m.split()) == 2}
    byte_map = bytes_to_unicode()
    text = re.sub(r"\s+", " ", text).strip().lower()
    # CLIP's word pattern (letters, digits, other symbols), for the ASCII prompts the tests use.
    words = re.findall(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+", text)
    ids = [vocab["<|startoftext|>"]]
    for word in words:
        chars = [byte_map[b] for b in word.encode("utf-8")]
        parts = chars[:-1] + [chars[-1] + "</w>"]
        while len(parts) > 1:
            pairs = [(ranks.get((a, b), 1e12), k) for k, (a, b) in enumerate(zip(parts, parts[1:]))]
            best, k = min(pairs)
            if best == 1e12:
                break
            parts = parts[:k] + [parts[k] + parts[k + 1]] + parts[k + 2 :]
        ids += [vocab[p] for p in parts]
    eos = vocab["<|endoftext|>"]
    ids = ids[:31] + [eos]
    mask = [1] * len(ids) + [0] * (32 - len(ids))
    ids = ids + [0 if pad_zero else eos] * (32 - len(ids))
    return np.array(ids), np.array(mask)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def resize_bilinear(m, h, w):
    """F.interpolate(bilinear, align_corners=False) of one [mh, mw] map to [h, w]."""
    def axis(n_out, n_in):
        src = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, src - i0
    y0, y1, ly = axis(h, m.shape[0])
    x0, x1, lx = axis(w, m.shape[1])
    top = m[y0][:, x0] * (1 - lx) + m[y0][:, x1] * lx
    bottom = m[y1][:, x0] * (1 - lx) + m[y1][:, x1] * lx
    return top * (1 - ly[:, None]) + bottom * ly[:, None]


def to_xywh(b, w, h):
    x0, y0 = min(max(b[0], 0), w), min(max(b[1], 0), h)
    x1, y1 = min(max(b[2], 0), w), min(max(b[3], 0), h)
    return [x0, y0, x1 - x0, y1 - y0]


def nms(instances, iou):
    kept = []
    for inst in sorted(instances, key=lambda i: -i["score"]):
        m = inst["mask"]
        if any((m & k["mask"]).sum() / max((m | k["mask"]).sum(), 1) > iou for k in kept):
            continue
        kept.append(inst)
    return kept


def main(case_dir):
    d = Path(case_dir)
    case = json.loads((d / "case.json").read_text())
    rgb = np.load(d / "image.npy")
    h, w, _ = rgb.shape
    problems = []
    # Pre-processing: the pixels SegKit fed.
    ref = pixels(rgb)
    fed = np.load(d / "pixels.npy").reshape(3, SIDE, SIDE).astype(np.float64)
    if case["layout"] == "sam3-samexporter":
        diff = np.abs(fed - np.clip(np.round(ref), 0, 255)).max()
        if diff > 1:
            problems.append(f"uint8 pixels differ by {diff}")
    else:
        diff = np.abs(fed - (ref / 127.5 - 1)).max()
        if diff > 1e-4:
            problems.append(f"float pixels differ by {diff}")
    # Tokens.
    ids, mask = clip_tokens(case["text"], Path(case["tokenizer"]), case["layout"] == "sam3-samexporter")
    fed_ids = np.load(d / "ids.npy")
    if not np.array_equal(ids, fed_ids):
        problems.append(f"token ids {fed_ids.tolist()} != {ids.tolist()}")
    if "attention_mask" in case and case["attention_mask"] != mask.tolist():
        problems.append("attention mask differs")
    # Exemplars.
    exemplars = [(b, 1) for b in case["positives"]] + [(b, 0) for b in case["negatives"]]
    expected_boxes = [[(x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h] for (x, y, bw, bh), _ in exemplars]
    fed_boxes = case["fedBoxes"]
    if len(fed_boxes) != len(expected_boxes) or (
        expected_boxes and np.abs(np.array(fed_boxes) - np.array(expected_boxes)).max() > 1e-6
    ):
        problems.append(f"exemplar boxes {fed_boxes} != {expected_boxes}")
    if case["fedLabels"] != [l for _, l in exemplars]:
        problems.append(f"exemplar labels {case['fedLabels']}")
    # Post-processing of every decoder call's raw outputs.
    thr, cap = case["threshold"], case["maxInstances"]
    instances = []
    for k in range(case["calls"]):
        if case["layout"] == "sam3-samexporter":
            boxes = np.load(d / f"boxes{k}.npy").reshape(-1, 4)
            scores = np.load(d / f"scores{k}.npy").reshape(-1)
            masks = np.load(d / f"masks{k}.npy").reshape(-1, h, w)
            order = sorted([i for i in range(len(scores)) if scores[i] > thr], key=lambda i: (-scores[i], i))[:cap]
            for i in order:
                b = boxes[i] * np.array([w / SIDE, h / SIDE, w / SIDE, h / SIDE])
                instances.append({"score": float(scores[i]), "box": to_xywh(b, w, h), "mask": masks[i].astype(bool)})
        else:
            logits = np.load(d / f"logits{k}.npy").reshape(-1).astype(np.float64)
            boxes = np.load(d / f"boxes{k}.npy").reshape(-1, 4).astype(np.float64)
            pm = np.load(d / f"masks{k}.npy")
            pm = pm.reshape(-1, pm.shape[-2], pm.shape[-1]).astype(np.float64)
            presence = sigmoid(float(np.load(d / f"presence{k}.npy").reshape(-1)[0])) if case["presence"] else 1.0
            scores = sigmoid(logits) * presence
            order = sorted([i for i in range(len(scores)) if scores[i] > thr], key=lambda i: (-scores[i], i))[:cap]
            for i in order:
                prob = resize_bilinear(sigmoid(pm[i]), h, w)
                b = boxes[i] * np.array([w, h, w, h])
                instances.append({"score": float(scores[i]), "box": to_xywh(b, w, h), "mask": prob > 0.5})
    if case["calls"] > 1:
        instances = nms(instances, 0.5)[:cap]
    np.save(d / "ref_masks.npy", np.array([i["mask"] for i in instances], dtype=np.uint8).reshape(len(instances), h, w))
    (d / "result.json").write_text(
        json.dumps({"problems": problems, "instances": [{"score": i["score"], "box": i["box"]} for i in instances]})
    )


if __name__ == "__main__":
    main(sys.argv[1])
