import { defineCommand } from './command.js';

/** The `segkit` command tree; each subcommand module is loaded only when used. */
export const rootCommand = defineCommand({
  name: 'segkit',
  description: 'SegKit: masks, prompts and datasets for image segmentation, on your machine.',
  subcommands: {
    mask: async () => (await import('./commands/mask.js')).maskCommand,
    cutout: async () => (await import('./commands/cutout.js')).cutoutCommand,
    overlay: async () => (await import('./commands/overlay.js')).overlayCommand,
  },
});
