// The 50-client save/list load the server benchmarks share: each client alternately saves an annotation and lists
// the image's annotations, for a given time, spread round-robin over one or more replicas.
import { join } from 'node:path';
import { encodeImage, loadImage } from '../packages/core/src/index.js';

const root = new URL('../', import.meta.url).pathname;

/** The p-th percentile of sorted numbers. */
export const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** 50 clients for `seconds`, round-robin over the replicas, alternately saving an annotation and listing them. */
export async function load(bases: string[], token: string, seconds: number) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const project = (await (
    await fetch(`${bases[0]}/api/v1/projects`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'load' }),
    })
  ).json()) as { id: number };
  const png = await encodeImage(await loadImage(join(root, 'examples/shapes/img00.png')), 'png');
  const form = new FormData();
  form.append('files', new Blob([new Uint8Array(png)]), 'img00.png');
  const up = (await (
    await fetch(`${bases[0]}/api/v1/projects/${project.id}/images`, {
      method: 'POST',
      headers: { authorization: headers.authorization },
      body: form,
    })
  ).json()) as { images: { id: number }[] };
  const imageId = up.images[0]!.id;
  const deadline = Date.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let saved = 0;
  await Promise.all(
    Array.from({ length: 50 }, async (_, client) => {
      const base = bases[client % bases.length]!;
      for (let i = 0; Date.now() < deadline && i < 1_000_000; i++) {
        const t0 = performance.now();
        const res =
          i % 2 === 0
            ? await fetch(`${base}/api/v1/images/${imageId}/annotations`, {
                method: 'POST',
                headers,
                body: JSON.stringify({ mode: 'inside_box', bbox: [client % 200, 10, 20, 20] }),
              })
            : await fetch(`${base}/api/v1/images/${imageId}/annotations?mode=find_all`, { headers });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status >= 400) errors++;
        else if (i % 2 === 0) saved++;
      }
    }),
  );
  const listed = await fetch(`${bases.at(-1)}/api/v1/images/${imageId}/annotations?mode=inside_box`, {
    headers,
  });
  const rows = ((await listed.json()) as unknown[]).length;
  latencies.sort((a, b) => a - b);
  return { latencies, rate: latencies.length / seconds, errors, saved, lost: saved - rows };
}
