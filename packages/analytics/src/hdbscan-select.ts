// From the single-linkage hierarchy to labels, as the reference `hdbscan` library does: the condensed tree (clusters
// split only when both sides have min_cluster_size points), cluster selection (excess of mass or leaf, with
// cluster_selection_epsilon and allow_single_cluster), membership probabilities and GLOSH outlier scores.

/**
 * The single-linkage hierarchy: leaves 0..n−1, then merge nodes, each with all the parts joined at its λ = 1/distance
 * (two, or more where edges tie), their sizes, and the root.
 */
export interface Hierarchy {
  n: number;
  kids: number[][];
  size: Int32Array;
  lambda: Float64Array;
  root: number;
}

export interface SelectOptions {
  minClusterSize: number;
  method: 'eom' | 'leaf';
  epsilon: number;
  allowSingleCluster: boolean;
}

/** Labels (−1 noise), each point's membership strength in its cluster, and its GLOSH outlier score. */
export interface HdbscanResult {
  labels: Int32Array;
  probabilities: Float64Array;
  outlierScores: Float64Array;
}

/** Condenses the hierarchy, selects clusters and labels the points. */
export function selectClusters(h: Hierarchy, o: SelectOptions): HdbscanResult {
  const { n, kids, size, lambda } = h;
  const labels = new Int32Array(n).fill(-1);
  const probabilities = new Float64Array(n);
  const outlierScores = new Float64Array(n);
  if (n < 2) return { labels, probabilities, outlierScores };
  // 1. Condensed tree. Cluster 0 is the root; each point records the cluster it fell from and at which λ.
  const birth: number[] = [0];
  const parent: number[] = [-1];
  const stability: number[] = [0];
  const death: number[] = [0]; // the largest λ of a point or child cluster leaving each cluster
  const fellFrom = new Int32Array(n);
  const fellAt = new Float64Array(n);
  const stack: [number, number][] = [[h.root, 0]];
  const leavesOf = (node: number): number[] => {
    const out: number[] = [];
    const st = [node];
    while (st.length) {
      const v = st.pop()!;
      if (v < n) out.push(v);
      else st.push(...kids[v]!);
    }
    return out;
  };
  const big = (v: number) => size[v]! >= o.minClusterSize;
  const fallOut = (child: number, c: number, lam: number) => {
    for (const p of leavesOf(child)) {
      fellFrom[p] = c;
      fellAt[p] = lam;
    }
  };
  while (stack.length) {
    const [node, c] = stack.pop()!;
    const lam = lambda[node]!;
    const parts = kids[node]!;
    const bigParts = parts.filter(big);
    if (bigParts.length >= 2) {
      // The cluster splits: each big part is a new cluster born here; the small parts leave it at this λ.
      stability[c]! += (lam - birth[c]!) * size[node]!;
      death[c] = Math.max(death[c]!, lam);
      for (const child of parts) if (!big(child)) fallOut(child, c, lam);
      const ids = bigParts.map(() => {
        const id = birth.length;
        birth.push(lam);
        parent.push(c);
        stability.push(0);
        death.push(0);
        return id;
      });
      bigParts.forEach((child, k) => {
        stack.push([child, ids[k]!]);
      });
      continue;
    }
    for (const child of parts) {
      if (big(child)) stack.push([child, c]);
      else {
        stability[c]! += (lam - birth[c]!) * size[child]!;
        death[c] = Math.max(death[c]!, lam);
        fallOut(child, c, lam);
      }
    }
  }
  const C = birth.length;
  const children: number[][] = Array.from({ length: C }, () => []);
  for (let c = 1; c < C; c++) children[parent[c]!]!.push(c);
  // 2. Selection. Children always have larger ids than their parent, so a reverse scan is bottom-up.
  const selected = new Uint8Array(C);
  const unselectBelow = (c: number) => {
    const st = [...children[c]!];
    while (st.length) {
      const v = st.pop()!;
      selected[v] = 0;
      st.push(...children[v]!);
    }
  };
  const lowest = o.allowSingleCluster ? 0 : 1;
  if (o.method === 'leaf') {
    for (let c = lowest; c < C; c++) if (children[c]!.length === 0) selected[c] = 1;
  } else {
    const best = stability.slice();
    for (let c = C - 1; c >= lowest; c--) {
      const sum = children[c]!.reduce((s, ch) => s + best[ch]!, 0);
      if (children[c]!.length === 0 || stability[c]! >= sum) {
        selected[c] = 1;
        unselectBelow(c);
      } else best[c] = sum;
    }
  }
  if (o.epsilon > 0) epsilonMerge(selected, birth, parent, children, o, unselectBelow);
  // 3. Labels, numbered in cluster order, then probabilities and outlier scores.
  const number = new Int32Array(C).fill(-1);
  let next = 0;
  for (let c = 0; c < C; c++) if (selected[c]) number[c] = next++;
  // The largest λ anywhere under each cluster, for GLOSH.
  const deepest = death.slice();
  for (let c = C - 1; c >= 1; c--) deepest[parent[c]!] = Math.max(deepest[parent[c]!]!, deepest[c]!);
  // hdbscan labels a point of the root, when the root is the single selected cluster, only if it left at the root's
  // largest λ (or, with an epsilon, at λ ≥ 1/ε).
  const rootCut = o.epsilon > 0 ? 1 / o.epsilon : death[0]!;
  for (let p = 0; p < n; p++) {
    const from = fellFrom[p]!;
    let owner = -1;
    for (let c = from; c >= 0; c = parent[c]!) {
      if (selected[c]) {
        owner = c;
        break;
      }
    }
    if (owner === 0 && !(fellAt[p]! >= rootCut)) owner = -1;
    if (owner >= 0) {
      labels[p] = number[owner]!;
      const max = death[owner]!;
      probabilities[p] = max > 0 && Number.isFinite(max) ? Math.min(fellAt[p]!, max) / max : 1;
    }
    const top = deepest[from]!;
    outlierScores[p] = top > 0 && Number.isFinite(top) ? (top - fellAt[p]!) / top : 0;
  }
  return { labels, probabilities, outlierScores };
}

/**
 * cluster_selection_epsilon: a selected cluster born below ε in distance (above 1/ε in λ) is replaced by the first
 * ancestor born at a distance above ε (never the root, unless a single cluster is allowed), as hdbscan's
 * `epsilon_search` does.
 */
function epsilonMerge(
  selected: Uint8Array,
  birth: number[],
  parent: number[],
  children: number[][],
  o: SelectOptions,
  unselectBelow: (c: number) => void,
): void {
  const chosen = [...selected.keys()].filter((c) => selected[c]);
  const done = new Set<number>();
  for (const c of chosen) {
    if (done.has(c) || !(1 / birth[c]! < o.epsilon)) continue;
    let up = c;
    for (;;) {
      const p = parent[up]!;
      if (p <= 0) {
        if (p === 0 && o.allowSingleCluster) up = 0;
        break;
      }
      up = p;
      if (1 / birth[p]! > o.epsilon) break;
    }
    selected[c] = 0;
    selected[up] = 1;
    unselectBelow(up);
    const st = [...children[up]!];
    while (st.length) {
      const v = st.pop()!;
      done.add(v);
      st.push(...children[v]!);
    }
  }
}
