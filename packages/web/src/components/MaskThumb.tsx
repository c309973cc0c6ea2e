import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { api, type ImageT, type ModeT, thumbUrl } from '../api.js';
import { fromServer } from '../editor/history.js';
import { drawMaskLayer } from '../render/masks.js';

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
  return (
    <div className="thumb" style={{ aspectRatio: `${image.width} / ${image.height}` }}>
      <img src={thumbUrl(image.id)} alt={image.fileName} loading="lazy" />
      <canvas ref={canvas} />
    </div>
  );
}
