import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { api, type ImageT, type ModeT, thumbUrl } from '../api.js';
import { fromServer } from '../editor/history.js';
import { drawMaskLayer } from '../render/masks.js';

const BOX = 4 / 3;

/** An image's thumbnail with the masks of one mode over it. */
export function MaskThumb({
  image,
  mode,
  labels,
  version,
}: {
  image: ImageT;
  mode: ModeT;
  labels: { name: string; colour: string }[];
  /** Changes when the image's annotations may have changed (its counts or status). */
  version: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const annotations = useQuery({
    queryKey: ['annotations', image.id, mode, version],
    queryFn: () => api.annotations(image.id, mode),
  });
  useEffect(() => {
    if (canvas.current && annotations.data)
      drawMaskLayer(
        canvas.current,
        image.width,
        image.height,
        annotations.data.map(fromServer),
        labels,
        null,
      );
  }, [annotations.data, image, labels]);
  // Every tile is 4:3; the photo is letterboxed inside it, whole, never cropped.
  const aspect = image.width / image.height;
  const fit =
    aspect >= BOX
      ? { width: '100%', height: `${(100 * BOX) / aspect}%` }
      : { width: `${(100 * aspect) / BOX}%`, height: '100%' };
  return (
    <div className="thumb">
      <div className="thumb-fit" style={fit}>
        <img src={thumbUrl(image.id)} alt={image.fileName} loading="lazy" />
        <canvas ref={canvas} />
      </div>
    </div>
  );
}
