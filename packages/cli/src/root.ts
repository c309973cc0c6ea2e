import { defineCommand } from './command.js';

/** The `segkit` command tree; each subcommand module is loaded only when used. */
export const rootCommand = defineCommand({
  name: 'segkit',
  description: 'SegKit: masks, prompts and datasets for image segmentation, on your machine.',
  options: { version: { type: 'boolean', short: 'v', description: 'Print the version and exit' } },
  subcommands: {
    segment: {
      summary: 'Segment the object at a click or in a box (SAM, SAM 2, classic)',
      load: async () => (await import('./commands/segment.js')).segmentCommand,
    },
    text: {
      summary: 'Segment what text prompts describe (CLIPSeg)',
      load: async () => (await import('./commands/text.js')).textCommand,
    },
    find: {
      summary: 'Find every instance of a concept from text and/or exemplar boxes',
      load: async () => (await import('./commands/find.js')).findCommand,
    },
    panoptic: {
      summary: 'Panoptic segmentation with COCO labels (DETR)',
      load: async () => (await import('./commands/panoptic.js')).panopticCommand,
    },
    serve: {
      summary: 'Run the SegKit server (projects, images, annotations, inference over HTTP)',
      load: async () => (await import('./commands/serve.js')).serveCommand,
    },
    worker: {
      summary: 'Run jobs beside server replicas (team set-up: PostgreSQL, Redis, S3)',
      load: async () => (await import('./commands/worker.js')).workerCommand,
    },
    users: {
      summary: 'Manage the server’s users and tokens (add, list, revoke)',
      load: async () => (await import('./commands/users.js')).usersCommand,
    },
    db: {
      summary: 'Back up and restore the server database (online, consistent); copy it to PostgreSQL and S3',
      load: async () => (await import('./commands/db.js')).dbCommand,
    },
    doctor: {
      summary: 'Check a server data directory: integrity, blobs, orphans, stuck jobs, temp files',
      load: async () => (await import('./commands/db.js')).doctorCommand,
    },
    models: {
      summary: 'List, pull, import, locate and remove models',
      load: async () => (await import('./commands/models.js')).modelsCommand,
    },
    classify: {
      summary: 'Classifier heads on CLIP embeddings: train on your labels, predict, benchmark',
      load: async () => (await import('./commands/classify.js')).classifyCommand,
    },
    recipe: {
      summary: 'Find-all recipes: mine one per class from labelled images, apply one or a cascade',
      load: async () => (await import('./commands/recipe.js')).recipeCommand,
    },
    analyze: {
      summary: 'Mask analytics: CLIP embeddings, UMAP, HDBSCAN clusters, scatter plots',
      load: async () => (await import('./commands/analyze.js')).analyzeCommand,
    },
    dataset: {
      summary: 'Convert datasets (COCO, YOLO, YOLO-seg, PNG masks), manifests, splits, box → mask builder',
      load: async () => (await import('./commands/dataset.js')).datasetCommand,
    },
    eval: {
      summary: 'Score predicted masks against ground truth (mIoU, Dice, threshold sweeps, reports)',
      load: async () => (await import('./commands/eval.js')).evalCommand,
    },
    mask: {
      summary: 'Inspect and convert mask PNGs: info, rle, decode, polygons',
      load: async () => (await import('./commands/mask.js')).maskCommand,
    },
    cutout: {
      summary: 'Cut a masked region out of an image as an RGBA PNG',
      load: async () => (await import('./commands/cutout.js')).cutoutCommand,
    },
    overlay: {
      summary: 'Draw colour-coded masks over an image',
      load: async () => (await import('./commands/overlay.js')).overlayCommand,
    },
  },
});
