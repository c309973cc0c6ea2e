import {
  type Box,
  bbox,
  cropMask,
  type FlatPolygon,
  type Mask,
  maskToPolygons,
  maskToRle,
  polygonsToRle,
  type Rle,
  type RleCompressed,
  rleArea,
  rleBbox,
  rleMerge,
  rleToCroppedMask,
  rleToMask,
} from '@segkit/core';
import type { Annotation, DatasetImage, Segmentation } from './types.js';

/** The pixels of an annotation's segmentation (polygons are rasterised with pycocotools semantics). */
export function segmentationToMask(seg: Segmentation, image: DatasetImage): Mask {
  return rleToMask(segmentationToRle(seg, image));
}

/** A segmentation as RLE: its own, or its polygons rasterised with pycocotools semantics. */
export function segmentationToRle(seg: Segmentation, image: DatasetImage): Rle {
  return 'rle' in seg ? seg.rle : polygonsToRle(seg.polygons, image.height, image.width);
}

/** The union of several segmentations of one image, merged on their runs and decoded once. */
export function segmentationsToMask(segs: Segmentation[], image: DatasetImage): Mask {
  if (segs.length === 1) return segmentationToMask(segs[0]!, image);
  return rleToMask(rleMerge(segs.map((seg) => segmentationToRle(seg, image))));
}

/** The single polygon tracing a (cropped) mask exactly when it is one part without holes, shifted by `box`. */
function singleRing(crop: Mask, box: Box): FlatPolygon | undefined {
  const rings = maskToPolygons(crop);
  if (rings.length !== 1 || rings[0]!.type !== 'outer') return undefined;
  return rings[0]!.points.map((v, i) => v + (i % 2 ? box[1] : box[0]));
}

/**
 * The single polygon that represents a mask exactly (one part, no holes), or undefined. Contours are traced on
 * the mask's bounding-box crop only, so the cost follows the object's size, not the image's.
 */
export function simplePolygon(mask: Mask): FlatPolygon | undefined {
  const box = bbox(mask);
  return box[2] === 0 ? undefined : singleRing(cropMask(mask, box), box);
}

/** {@link simplePolygon} for an RLE, decoding only its bounding box. */
export function simplePolygonOfRle(rle: RleCompressed): FlatPolygon | undefined {
  const { mask, box } = rleToCroppedMask(rle);
  return box[2] === 0 ? undefined : singleRing(mask, box);
}

/**
 * The most faithful COCO form of a mask: a single polygon when the mask is one part without holes
 * (its pixel-corner ring rasterises back exactly, also in pycocotools), otherwise RLE.
 */
export function maskToSegmentation(mask: Mask, opts: { rle?: boolean } = {}): Segmentation {
  const poly = opts.rle ? undefined : simplePolygon(mask);
  return poly ? { polygons: [poly] } : { rle: maskToRle(mask) };
}

/** Area and bbox of a segmentation, computed exactly on its RLE. */
export function segmentationStats(seg: Segmentation, image: DatasetImage): Pick<Annotation, 'area' | 'bbox'> {
  const rle = segmentationToRle(seg, image);
  return { area: rleArea(rle), bbox: rleBbox(rle) };
}
