// The multimask picker: the candidates of the current prompt as thumbnails with their scores; 1/2/3 choose.
import { useEffect, useRef } from 'react';
import type { DecodedMask } from '../decoder/browser-decoder.js';
import { paintMask } from '../render/masks.js';

function CandidateThumb({ img, c }: { img: HTMLImageElement; c: DecodedMask }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current!;
    const { width: W, height: H } = c.mask;
    const scale = 96 / Math.max(W, H);
    canvas.width = Math.max(1, Math.round(W * scale));
    canvas.height = Math.max(1, Math.round(H * scale));
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const layer = document.createElement('canvas');
    layer.width = W;
    layer.height = H;
    const lctx = layer.getContext('2d')!;
    const data = lctx.createImageData(W, H);
    paintMask(data.data, c.mask, [255, 60, 200], { fill: 150, outline: 255, dashed: false });
    lctx.putImageData(data, 0, 0);
    ctx.drawImage(layer, 0, 0, canvas.width, canvas.height);
  }, [img, c]);
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
            <CandidateThumb img={img} c={c} />
            <span>
              <kbd>{k + 1}</kbd> {c.score.toFixed(2)}
            </span>
          </button>
        ))}
      </div>
    </section>
  );
}
