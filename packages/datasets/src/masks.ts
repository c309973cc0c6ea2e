import {
  type Mask,
  maskToPolygons,
  maskToRle,
  polygonsToRle,
  rleArea,
  rleBbox,
  rleToMask,
} from '@segkit/core';
import type { Annotation, DatasetImage, Segmentation } from './types.js';

/** The pixels of an annotation's segmentation (polygons are rasterised with pycocotools semantics). */
export function segmentationToMask(seg: Segmentation, image: DatasetImage): Mask {
  if ('rle' in seg) return rleToMask(seg.rle);
  return rleToMask(polygonsToRle(seg.polygons, image.height, image.width));
}

/**
 * The most faithful COCO form of a mask: a single polygon when the mask is one part without holes
 * (its pixel-corner ring rasterises back exactly, also in pycocotools), otherwise RLE.
 */
export function maskToSegmentation(mask: Mask, opts: { rle?: boolean } = {}): Segmentation {
  if (!opts.rle) {
    const rings = maskToPolygons(mask);
    if (rings.length === 1 && rings[0]!.type === 'outer') return { polygons: [rings[0]!.points] };
  }
  return { rle: maskToRle(mask) };
}

/** Area and bbox of a segmentation, computed exactly on its RLE. */
export function segmentationStats(seg: Segmentation, image: DatasetImage): Pick<Annotation, 'area' | 'bbox'> {
  const rle = 'rle' in seg ? seg.rle : polygonsToRle(seg.polygons, image.height, image.width);
  return { area: rleArea(rle), bbox: rleBbox(rle) };
}
