export { adjustedRandIndex, type HdbscanOptions, hdbscan } from './hdbscan.js';
export { encodeNpy, readNpy, writeNpy } from './npy.js';
export { type UmapOptions, type UmapResult, umap2d } from './umap.js';
