"""An independent HDBSCAN reference for tests: the hdbscan library's (0.8) algorithm, written from its published
description, on numpy and scipy only (the library itself cannot be installed here).

- core distance: distance to the min_samples-th nearest *other* point (hdbscan's `mutual_reachability`);
- single linkage over mutual reachability with scipy's `linkage(method='single')`;
- hdbscan's `condense_tree`, `compute_stability` and excess-of-mass selection (allow_single_cluster false);
- labels: a point belongs to the selected cluster that it fell out of, or that contains the cluster it fell out of.

Reads {"points": [[x, y], ...], "min_cluster_size": m, "min_samples": s|null} on stdin; prints {"labels": [...]}.
"""
import json
import sys

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import pdist, squareform


def mutual_reachability(points, min_samples):
    d = squareform(pdist(points))
    core = np.partition(d, min_samples, axis=1)[:, min_samples]
    mr = np.maximum(d, np.maximum(core[:, None], core[None, :]))
    np.fill_diagonal(mr, 0.0)
    return mr


def condense(z, n, mcs):
    """hdbscan's condense_tree: rows (parent, child, lambda, size); clusters are numbered from n (the root)."""
    root = 2 * n - 2
    left = {n + i: int(z[i, 0]) for i in range(n - 1)}
    right = {n + i: int(z[i, 1]) for i in range(n - 1)}
    dist = {n + i: z[i, 2] for i in range(n - 1)}
    size = {n + i: int(z[i, 3]) for i in range(n - 1)}

    def count(node):
        return 1 if node < n else size[node]

    def leaves(node):
        out, stack = [], [node]
        while stack:
            x = stack.pop()
            if x < n:
                out.append(x)
            else:
                stack.extend((left[x], right[x]))
        return out

    rows = []
    label_of = {root: n}
    next_label = n + 1
    stack = [root]
    while stack:
        node = stack.pop()
        if node < n:
            continue
        parent = label_of[node]
        lam = 1.0 / dist[node] if dist[node] > 0 else np.inf
        a, b = left[node], right[node]
        ca, cb = count(a), count(b)
        if ca >= mcs and cb >= mcs:
            for child, c in ((a, ca), (b, cb)):
                label_of[child] = next_label
                rows.append((parent, next_label, lam, c))
                next_label += 1
                stack.append(child)
        elif ca < mcs and cb < mcs:
            for child in (a, b):
                for p in leaves(child):
                    rows.append((parent, p, lam, 1))
        else:
            small, big = (a, b) if ca < mcs else (b, a)
            for p in leaves(small):
                rows.append((parent, p, lam, 1))
            label_of[big] = parent
            stack.append(big)
    return rows


def select_eom(rows, n):
    birth = {n: 0.0}
    for parent, child, lam, size in rows:
        if size > 1:
            birth[child] = lam
    stability = {c: 0.0 for c in birth}
    children = {c: [] for c in birth}
    for parent, child, lam, size in rows:
        stability[parent] += (lam - birth[parent]) * size
        if size > 1:
            children[parent].append(child)
    selected = {}
    for c in sorted(birth, reverse=True):
        if c == n:
            continue
        sub = sum(stability[k] for k in children[c])
        if sub > stability[c]:
            stability[c] = sub
            selected[c] = False
        else:
            selected[c] = True
            stack = list(children[c])
            while stack:
                k = stack.pop()
                selected[k] = False
                stack.extend(children[k])
    return sorted(c for c, s in selected.items() if s), children


def labels_for(rows, n, chosen, children):
    owner = {}
    for c in chosen:
        stack = [c]
        while stack:
            k = stack.pop()
            owner[k] = c
            stack.extend(children[k])
    number = {c: i for i, c in enumerate(chosen)}
    labels = [-1] * n
    for parent, child, lam, size in rows:
        if size == 1 and parent in owner:
            labels[child] = number[owner[parent]]
    return labels


def main():
    job = json.load(sys.stdin)
    points = np.asarray(job["points"], dtype=float)
    mcs = int(job["min_cluster_size"])
    ms = job.get("min_samples")
    ms = mcs if ms is None else int(ms)
    n = len(points)
    mr = mutual_reachability(points, ms)
    z = linkage(squareform(mr, checks=False), method="single")
    rows = condense(z, n, mcs)
    chosen, children = select_eom(rows, n)
    print(json.dumps({"labels": labels_for(rows, n, chosen, children)}))


if __name__ == "__main__":
    main()
