// The multimask picker: the candidates of the current prompt as thumbnails with their scores; 1/2/3 choose.
import { bbox } from '@segkit/core/mask';
import { useEffect, useMemo, useRef } from 'react';
import type { DecodedMask } from '../decoder/browser-decoder.js';
import { paintMask, pixelBounds } from '../render/masks.js';

/** The region the candidates cover, padded: thumbnails show the object, not the whole image. */
function regionOf(candidates: DecodedMask[]): [number, number, number, number] {
  const { width: W, height: H } = candidates[0]!.mask;
  let [x0, y0, x1, y1] = [W, H, 0, 0];
  for (const c of candidates) {
    const [bx, by, bw, bh] = bbox(c.mask);
    if (bw === 0) continue;
    x0 = Math.min(x0, bx);
    y0 = Math.min(y0, by);
    x1 = Math.max(x1, bx + bw);
    y1 = Math.max(y1, by + bh);
  }
  if (x1 <= x0) return [0, 0, W, H];
  const pad = 0.15 * Math.max(x1 - x0, y1 - y0) + 4;
  x0 = Math.max(0, x0 - pad);
  y0 = Math.max(0, y0 - pad);
  x1 = Math.min(W, x1 + pad);
  y1 = Math.min(H, y1 + pad);
  return [x0, y0, x1 - x0, y1 - y0];
}

function CandidateThumb({ img, c, region }: { img: HTMLImageElement; c: DecodedMask; region: number[] }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current!;
    const { width: W, height: H } = c.mask;
    const [rx, ry, rw, rh] = region as [number, number, number, number];
    const scale = 80 / Math.max(rw, rh);
    canvas.width = Math.max(1, Math.round(rw * scale));
    canvas.height = Math.max(1, Math.round(rh * scale));
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, rx, ry, rw, rh, 0, 0, canvas.width, canvas.height);
    // The mask over the region only (a thumbnail of a small object on a large photo paints the object, not the photo).
    const [x0, y0, x1, y1] = pixelBounds(W, H, region);
    const layer = document.createElement('canvas');
    layer.width = Math.max(1, x1 - x0);
    layer.height = Math.max(1, y1 - y0);
    const lctx = layer.getContext('2d')!;
    const data = lctx.createImageData(layer.width, layer.height);
    paintMask(
      data.data,
      c.mask,
      [255, 60, 200],
      { fill: 130, outline: 255, dashed: false },
      region,
      'region',
    );
    lctx.putImageData(data, 0, 0);
    ctx.drawImage(layer, rx - x0, ry - y0, rw, rh, 0, 0, canvas.width, canvas.height);
  }, [img, c, region]);
  return <canvas ref={ref} />;
}

export function CandidatePicker({
  img,
  candidates,
  chosen,
  onChoose,
}: {
  img: HTMLImageElement;
  candidates: DecodedMask[];
  chosen: number;
  onChoose: (k: number) => void;
}) {
  const region = useMemo(() => regionOf(candidates.slice(0, 3)), [candidates]);
  return (
    <section className="panel" aria-label="Candidates">
      <h3>Candidates</h3>
      <div className="candidates" data-testid="candidates">
        {candidates.slice(0, 3).map((c, k) => (
          <button
            type="button"
            // biome-ignore lint/suspicious/noArrayIndexKey: the candidates of one prompt, in score order
            key={k}
            className={k === chosen ? 'candidate on' : 'candidate'}
            aria-pressed={k === chosen}
            aria-label={`Candidate ${k + 1}, score ${c.score.toFixed(2)}`}
            onClick={() => onChoose(k)}
          >
            <CandidateThumb img={img} c={c} region={region} />
            <span>
              <kbd>{k + 1}</kbd> {c.score.toFixed(2)}
            </span>
          </button>
        ))}
      </div>
    </section>
  );
}
