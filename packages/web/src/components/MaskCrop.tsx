// A mask's box cropped out of its image (analytics hover and cluster galleries).
import { useEffect, useRef } from 'react';
import { fileUrl } from '../api.js';

const images = new Map<number, Promise<HTMLImageElement>>();
export function loadImage(imageId: number): Promise<HTMLImageElement> {
  let p = images.get(imageId);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const el = new Image();
      el.onload = () => resolve(el);
      el.onerror = () => reject(new Error(`image ${imageId} did not load`));
      el.src = fileUrl(imageId);
    });
    images.set(imageId, p);
  }
  return p;
}

export function MaskCrop({
  imageId,
  bbox,
  size = 72,
}: {
  imageId: number;
  bbox: [number, number, number, number];
  size?: number;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let live = true;
    void loadImage(imageId).then((img) => {
      const c = ref.current;
      if (!live || !c) return;
      const [x, y, w, h] = bbox;
      const pad = Math.max(w, h) * 0.1;
      const side = Math.max(w, h) + 2 * pad;
      c.width = size;
      c.height = size;
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#eee';
      ctx.fillRect(0, 0, size, size);
      ctx.drawImage(img, x + w / 2 - side / 2, y + h / 2 - side / 2, side, side, 0, 0, size, size);
      ctx.strokeStyle = '#ff2bd6';
      ctx.lineWidth = 2;
      const k = size / side;
      ctx.strokeRect((side / 2 - w / 2) * k, (side / 2 - h / 2) * k, w * k, h * k);
    });
    return () => {
      live = false;
    };
  }, [imageId, bbox, size]);
  return <canvas ref={ref} className="crop" width={size} height={size} />;
}
