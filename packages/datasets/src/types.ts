import type { Box, FlatPolygon, RleCompressed } from '@segkit/core';

/** An image of a dataset. `file` is a path relative to the dataset's image root. */
export interface DatasetImage {
  id: number;
  file: string;
  width: number;
  height: number;
  /** The split this image belongs to, when the source says (Roboflow folders, manifests). */
  split?: string;
}

export interface Category {
  id: number;
  name: string;
  supercategory?: string;
}

/** A mask as stored: COCO RLE, or polygons (flat rings in pixel coordinates, unioned like COCO). */
export type Segmentation = { rle: RleCompressed } | { polygons: FlatPolygon[] };

export type AnnotationSource = 'user' | 'model';
export type PromptType = 'segment' | 'positive_exemplar' | 'negative_exemplar';

export interface Annotation {
  id: number;
  imageId: number;
  categoryId: number;
  /** [x, y, w, h] in image pixels. */
  bbox: Box;
  segmentation?: Segmentation;
  area: number;
  iscrowd: boolean;
  score?: number;
  source: AnnotationSource;
  promptType: PromptType;
  attributes?: Record<string, unknown>;
}

/** A dataset in memory. `imageRoot` is the directory image files are relative to. */
export interface Dataset {
  imageRoot: string;
  images: DatasetImage[];
  categories: Category[];
  annotations: Annotation[];
  /** Non-fatal findings, such as boxes clipped to their image. */
  warnings: string[];
}

/** Formats SegKit reads and writes. */
export type DatasetFormat = 'coco' | 'yolo' | 'yolo-seg' | 'masks';
export const DATASET_FORMATS: readonly DatasetFormat[] = ['coco', 'yolo', 'yolo-seg', 'masks'];
