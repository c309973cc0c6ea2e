"""Times pycocotools on the RLE operations `npm run bench -- core` compares (run by bench/pycocotools.bench.ts).

Usage: python3 bench/reference/pycocotools_rle.py RLES.json
RLES.json is a list of COCO RLEs ({"size": [h, w], "counts": "..."}). Every operation starts from fresh dicts with
string counts, as a COCO file delivers them. Prints one JSON object: the median milliseconds of each operation.
"""
import json
import statistics
import sys
import time

from pycocotools import mask


def median_ms(fn, runs=51, warmup=20):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    with open(sys.argv[1]) as f:
        rles = json.load(f)
    fresh = lambda: [{"size": r["size"], "counts": r["counts"]} for r in rles]  # noqa: E731
    crowd = [0] * len(rles)
    print(json.dumps({
        "iou": median_ms(lambda: mask.iou(fresh(), fresh(), crowd)),
        "merge": median_ms(lambda: mask.merge(fresh())),
        "areaBbox": median_ms(lambda: (mask.area(fresh()), mask.toBbox(fresh()))),
    }))


if __name__ == "__main__":
    main()
