import type { Dtype, Preset } from './types.js';

/** The SAM 3 licence (Meta's "SAM License"), which applies to every SAM 3 weight file whatever its export. */
const SAM3_LICENCE =
  'SAM License (Meta): use, reproduce and modify under its terms; not Apache-2.0 like SegKit. Read https://github.com/facebookresearch/sam3/blob/main/LICENSE before use.';
const USLS = 'https://github.com/jamjamjon/assets/releases/download/sam3';

/**
 * The presets: names for real public repos that transformers.js supports, with the weight variant to fetch.
 * Fixture models (fixtures/models/) are test tools and never appear here.
 */
export const PRESETS: readonly Preset[] = [
  {
    name: 'sam',
    repo: 'Xenova/slimsam-77-uniform',
    revision: 'main',
    modelType: 'sam',
    task: 'segment',
    dtype: 'fp32',
    approxBytes: 60e6,
    description: 'SlimSAM-77: small, fast SAM (default); points and, with its boxes-revision decoder, boxes',
    boxDecoderRevision: 'boxes',
  },
  {
    name: 'sam-vit-base',
    repo: 'Xenova/sam-vit-base',
    revision: 'main',
    modelType: 'sam',
    task: 'segment',
    dtype: 'q8',
    approxBytes: 110e6,
    description: 'SAM ViT-B, 8-bit quantised',
  },
  {
    name: 'sam2-tiny',
    repo: 'onnx-community/sam2.1-hiera-tiny-ONNX',
    revision: 'main',
    modelType: 'sam2',
    task: 'segment',
    dtype: 'fp32',
    approxBytes: 150e6,
    description: 'SAM 2.1 Hiera-Tiny',
  },
  {
    name: 'sam2-small',
    repo: 'onnx-community/sam2.1-hiera-small-ONNX',
    revision: 'main',
    modelType: 'sam2',
    task: 'segment',
    dtype: 'fp32',
    approxBytes: 185e6,
    description: 'SAM 2.1 Hiera-Small',
  },
  {
    name: 'sam2-pair-tiny',
    repo: 'SharpAI/sam2-hiera-tiny-onnx',
    revision: 'main',
    modelType: 'sam2-pair',
    task: 'segment',
    dtype: 'fp32',
    approxBytes: 150e6,
    description: 'SAM 2 Hiera-Tiny as an encoder.onnx + decoder.onnx pair',
  },
  {
    name: 'sam2-pair-base-plus',
    repo: 'SharpAI/sam2-hiera-base-plus-onnx',
    revision: 'main',
    modelType: 'sam2-pair',
    task: 'segment',
    dtype: 'fp32',
    approxBytes: 360e6,
    description: 'SAM 2 Hiera-Base+ as an encoder.onnx + decoder.onnx pair',
  },
  {
    name: 'sam3',
    repo: 'jamjamjon/assets',
    revision: 'sam3',
    modelType: 'sam3-usls',
    task: 'find',
    dtype: 'fp32',
    approxBytes: 3.45e9,
    description:
      'SAM 3 concept model (usls v2 layout): text and any number of ± exemplar boxes → every instance, with presence',
    files: [
      { path: 'vision-encoder.onnx', url: `${USLS}/vision-encoder.onnx` },
      { path: 'text-encoder.onnx', url: `${USLS}/text-encoder.onnx` },
      { path: 'geo-encoder-mask-decoder.onnx', url: `${USLS}/geo-encoder-mask-decoder.onnx` },
      { path: 'tokenizer.json', url: `${USLS}/tokenizer.json` },
    ],
    licence: SAM3_LICENCE,
  },
  {
    name: 'sam3-text',
    repo: 'danilobukvic/sam3-text-onnx',
    revision: 'main',
    modelType: 'sam3-text',
    task: 'find',
    dtype: 'fp32',
    approxBytes: 3.4e9,
    description: 'SAM 3 concept model, text prompts only (no exemplars, no presence head)',
    files: [
      ...['vision_encoder', 'text_encoder', 'decoder'].flatMap((g) => [
        { path: `${g}.onnx` },
        { path: `${g}.onnx.data` },
      ]),
      { path: 'tokenizer.json' },
      { path: 'tokenizer_config.json', optional: true },
      { path: 'vocab.json', optional: true },
      { path: 'merges.txt', optional: true },
    ],
    licence: SAM3_LICENCE,
  },
  {
    name: 'sam3-tracker',
    repo: 'onnx-community/sam3-tracker-ONNX',
    revision: 'main',
    modelType: 'sam3_tracker',
    task: 'segment',
    dtype: 'fp32',
    approxBytes: 1.9e9,
    description: 'SAM 3 tracker: clicks and boxes, one object per prompt (SAM 2 contract at 1008 px)',
    files: [
      { path: 'config.json' },
      { path: 'preprocessor_config.json' },
      ...['vision_encoder', 'prompt_encoder_mask_decoder'].flatMap((g) => [
        { path: `onnx/${g}.onnx` },
        { path: `onnx/${g}.onnx_data`, optional: true },
      ]),
    ],
    licence: SAM3_LICENCE,
  },
  {
    name: 'sam3-anylabeling',
    repo: 'vietanhdev/segment-anything-3-onnx-models',
    revision: 'main',
    modelType: 'sam3-samexporter',
    task: 'find',
    dtype: 'fp32',
    approxBytes: 3.41e9,
    description:
      'SAM 3 as X-AnyLabeling downloads it (samexporter): text plus one box per decoder call; SegKit merges calls with NMS',
    archive: { path: 'sam3_vit_h.zip' },
    files: [
      ...['sam3_image_encoder', 'sam3_language_encoder', 'sam3_decoder'].flatMap((g) => [
        { path: `${g}.onnx` },
        { path: `${g}.onnx.data`, optional: true },
      ]),
      ...['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt'].map((f) => ({
        path: `clip_tokenizer/${f}`,
        optional: f !== 'tokenizer.json',
      })),
    ],
    licence: SAM3_LICENCE,
  },
  {
    name: 'clipseg',
    repo: 'Xenova/clipseg-rd64-refined',
    revision: 'main',
    modelType: 'clipseg',
    task: 'text-segment',
    dtype: 'q8',
    approxBytes: 40e6,
    description: 'CLIPSeg rd64 refined (text prompts)',
  },
  {
    name: 'clip',
    repo: 'Xenova/clip-vit-base-patch32',
    revision: 'main',
    modelType: 'clip',
    task: 'embed',
    dtype: 'q8',
    approxBytes: 155e6,
    description: 'CLIP ViT-B/32 image and text embeddings',
  },
  {
    name: 'detr-panoptic',
    repo: 'Xenova/detr-resnet-50-panoptic',
    revision: 'main',
    modelType: 'detr',
    task: 'panoptic',
    dtype: 'q8',
    approxBytes: 45e6,
    description: 'DETR ResNet-50 panoptic (COCO)',
  },
];

/** The manifest's model type for an encoder + decoder pair (no transformers.js config). */
export const PAIR_TYPE = 'sam2-pair';

export const findPreset = (name: string): Preset | undefined => PRESETS.find((p) => p.name === name);

/** The file-name suffix transformers.js uses for a dtype (`onnx/model{suffix}.onnx`). */
export const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
};

/** The ONNX sessions transformers.js opens for each model type. */
export const SESSIONS: Record<string, string[]> = {
  sam: ['vision_encoder', 'prompt_encoder_mask_decoder'],
  sam2: ['vision_encoder', 'prompt_encoder_mask_decoder'],
  clipseg: ['model'],
  clip: ['text_model', 'vision_model'],
  detr: ['model'],
};

/** Files every model needs, and files fetched when present. */
export const REQUIRED_CONFIGS = ['config.json', 'preprocessor_config.json'];
export const OPTIONAL_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** The companion box decoder of a preset: where it is fetched from and where it is kept in the model folder. */
export function boxDecoderFile(preset: Preset | undefined, dtype: Dtype) {
  if (!preset?.boxDecoderRevision) return undefined;
  const remote = `onnx/prompt_encoder_mask_decoder${DTYPE_SUFFIX[dtype]}.onnx`;
  return { revision: preset.boxDecoderRevision, remote, local: `boxes/${remote}` };
}

/** The ONNX files a model of `modelType` needs for `dtype`. */
export function onnxFiles(modelType: string, dtype: Dtype): string[] {
  const sessions = SESSIONS[modelType];
  if (!sessions) return [];
  return sessions.map((s) => `onnx/${s}${DTYPE_SUFFIX[dtype]}.onnx`);
}
