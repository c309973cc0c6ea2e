import {
  bbox,
  JsonInvalidError,
  labelComponents,
  area as maskArea,
  maskToPolygons,
  maskToRle,
  type Rle,
  rleToMask,
  writeMask,
} from '@segkit/core';
import { defineCommand, eager, numberOption, requireOption } from '../command.js';
import { jsonLine, readJson } from '../util.js';
import { readMaskArg } from './images.js';

const maskArg = {
  name: 'mask.png',
  description: 'A mask image: any bit depth; foreground where value (or alpha) ≥ 128',
};

const rle = defineCommand({
  name: 'rle',
  description: 'Print the COCO compressed RLE of a mask, byte-identical to pycocotools.',
  positionals: [maskArg],
  options: {
    uncompressed: { type: 'boolean', description: 'Print counts as a number array instead of the string' },
  },
  examples: ['segkit mask rle examples/coffee-cup.mask.png'],
  async run({ positionals, options, io }) {
    const mask = await readMaskArg(io, positionals[0]!);
    io.stdout(jsonLine(options.uncompressed ? maskToRle(mask, { compressed: false }) : maskToRle(mask)));
  },
});

const decode = defineCommand({
  name: 'decode',
  description: 'Decode a COCO RLE JSON ({"size":[h,w],"counts":...}) into a mask PNG.',
  positionals: [{ name: 'rle.json', description: 'RLE JSON file, or - for stdin' }],
  options: {
    output: { type: 'string', short: 'o', valueName: 'mask.png', description: 'Output PNG (required)' },
  },
  examples: [
    'segkit mask rle examples/coffee-cup.mask.png > cup.rle.json',
    'segkit mask decode cup.rle.json -o cup.png',
  ],
  async run({ positionals, options, io }) {
    const out = requireOption(options, 'output', 'segkit mask decode');
    const json = await readJson(positionals[0]!);
    const obj = (
      json && typeof json === 'object' && 'segmentation' in json ? json.segmentation : json
    ) as Rle;
    if (!obj || typeof obj !== 'object' || !('size' in obj) || !('counts' in obj)) {
      throw new JsonInvalidError(`${positionals[0]} must hold an RLE object {"size":[h,w],"counts":...}`);
    }
    const mask = rleToMask(obj);
    await writeMask(out, mask);
    io.stderr(`wrote ${out} (${mask.width}×${mask.height}, area ${maskArea(mask)})\n`);
  },
});

const polygons = defineCommand({
  name: 'polygons',
  description: 'Print the outer and hole contours of every component as flat [x1,y1,x2,y2,...] polygons.',
  positionals: [maskArg],
  options: {
    tolerance: {
      type: 'string',
      valueName: 'PX',
      default: '0',
      description: 'Douglas–Peucker tolerance in pixels; 0 keeps the exact pixel boundary',
    },
  },
  examples: ['segkit mask polygons examples/coffee-cup.mask.png --tolerance 1'],
  async run({ positionals, options, io }) {
    const tolerance = numberOption(options, 'tolerance', 0, 0);
    const mask = await readMaskArg(io, positionals[0]!);
    io.stdout(jsonLine(maskToPolygons(mask, { tolerance })));
  },
});

const info = defineCommand({
  name: 'info',
  description: 'Print width, height, area, bbox [x,y,w,h] and the number of 8-connected components.',
  positionals: [maskArg],
  examples: ['segkit mask info examples/coffee-cup.mask.png'],
  async run({ positionals, io }) {
    const mask = await readMaskArg(io, positionals[0]!);
    const { count } = labelComponents(mask);
    const summary = {
      width: mask.width,
      height: mask.height,
      area: maskArea(mask),
      bbox: bbox(mask),
      components: count,
    };
    io.stdout(jsonLine(summary));
  },
});

export const maskCommand = defineCommand({
  name: 'mask',
  description: 'Inspect and convert mask PNGs: RLE, polygons, info.',
  subcommands: {
    info: eager(info),
    rle: eager(rle),
    decode: eager(decode),
    polygons: eager(polygons),
  },
});
