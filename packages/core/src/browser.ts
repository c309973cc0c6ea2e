/**
 * `@segkit/core/mask`: the browser-safe part of core (no Node import): masks, COCO RLE, polygons, boxes, components
 * and metrics, for the web app.
 * @packageDocumentation
 */
export * from './components.js';
export * from './errors.js';
export * from './half.js';
export * from './mask.js';
export * from './metrics.js';
export * from './polygons.js';
export * from './rle.js';
export * from './rle-batch.js';
export * from './rle-codec.js';
export * from './rle-merge.js';
export * from './rle-parse.js';
export * from './types.js';
