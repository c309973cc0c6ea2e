// The public ONNX layouts of SAM 3's concept model (text and exemplar boxes → every instance), recognised from the
// names their graphs declare, with each input's dtype and rank checked before anything runs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ModelUnsupportedError } from '@segkit/core';

export type Sam3Layout = 'sam3-usls' | 'sam3-text' | 'sam3-samexporter';

/** What one declared input must be: its dtype and rank. */
type Spec = Record<string, [type: string, rank: number]>;

export interface Sam3Contract {
  layout: Sam3Layout;
  /** The three graph files, relative to the model folder. */
  files: { vision: string; text: string; decoder: string };
  /** Where tokenizer.json lives, relative to the folder. */
  tokenizer: string;
  vision: Spec;
  text: Spec;
  decoder: Spec;
  /** Outputs each graph must declare. */
  outputs: { vision: string[]; text: string[]; decoder: string[] };
  /** Exemplar boxes: any number in one call, none, or exactly one per decoder call. */
  exemplars: 'many' | 'none' | 'one-per-call';
  /** Padding of the 32 token ids: the tokenizer's pad token (49407, `<|endoftext|>`) or 0. */
  padWith: 'eos' | 'zero';
  /** Whether the decoder gives a presence logit (score = sigmoid(logit) · sigmoid(presence)). */
  presence: boolean;
}

const F = 'float32';
const I = 'int64';
const B = 'bool';

export const SAM3_CONTRACTS: Record<Sam3Layout, Sam3Contract> = {
  'sam3-usls': {
    layout: 'sam3-usls',
    files: {
      vision: 'vision-encoder.onnx',
      text: 'text-encoder.onnx',
      decoder: 'geo-encoder-mask-decoder.onnx',
    },
    tokenizer: '.',
    vision: { images: [F, 4] },
    text: { input_ids: [I, 2], attention_mask: [I, 2] },
    decoder: {
      fpn_feat_0: [F, 4],
      fpn_feat_1: [F, 4],
      fpn_feat_2: [F, 4],
      fpn_pos_2: [F, 4],
      text_features: [F, 3],
      text_mask: [B, 2],
      input_boxes: [F, 3],
      input_boxes_labels: [I, 2],
    },
    outputs: {
      vision: ['fpn_feat_0', 'fpn_feat_1', 'fpn_feat_2', 'fpn_pos_2'],
      text: ['text_features', 'text_mask'],
      decoder: ['pred_masks', 'pred_boxes', 'pred_logits', 'presence_logits'],
    },
    exemplars: 'many',
    padWith: 'eos',
    presence: true,
  },
  'sam3-text': {
    layout: 'sam3-text',
    files: { vision: 'vision_encoder.onnx', text: 'text_encoder.onnx', decoder: 'decoder.onnx' },
    tokenizer: '.',
    vision: { pixel_values: [F, 4] },
    text: { input_ids: [I, 2], attention_mask: [I, 2] },
    decoder: {
      fpn_hidden_state_0: [F, 4],
      fpn_hidden_state_1: [F, 4],
      fpn_hidden_state_2: [F, 4],
      fpn_position_encoding_2: [F, 4],
      text_features: [F, 3],
      attention_mask: [I, 2],
    },
    outputs: {
      vision: ['fpn_hidden_state_0', 'fpn_hidden_state_1', 'fpn_hidden_state_2', 'fpn_position_encoding_2'],
      text: ['text_features'],
      decoder: ['pred_masks', 'pred_boxes', 'pred_logits'],
    },
    exemplars: 'none',
    padWith: 'eos',
    presence: false,
  },
  'sam3-samexporter': {
    layout: 'sam3-samexporter',
    files: {
      vision: 'sam3_image_encoder.onnx',
      text: 'sam3_language_encoder.onnx',
      decoder: 'sam3_decoder.onnx',
    },
    tokenizer: 'clip_tokenizer',
    vision: { image: ['uint8', 3] },
    text: { tokens: [I, 2] },
    decoder: {
      original_height: [I, 0],
      original_width: [I, 0],
      vision_pos_enc_2: [F, 4],
      backbone_fpn_0: [F, 4],
      backbone_fpn_1: [F, 4],
      backbone_fpn_2: [F, 4],
      language_mask: [B, 2],
      language_features: [F, 3],
      box_coords: [F, 3],
      box_labels: [I, 2],
      box_masks: [B, 2],
    },
    outputs: {
      vision: ['vision_pos_enc_2', 'backbone_fpn_0', 'backbone_fpn_1', 'backbone_fpn_2'],
      text: ['text_attention_mask', 'text_memory'],
      decoder: ['boxes', 'scores', 'masks'],
    },
    exemplars: 'one-per-call',
    padWith: 'zero',
    presence: false,
  },
};

/** The layouts that take exemplar boxes, for messages. */
export const EXEMPLAR_LAYOUTS = (Object.values(SAM3_CONTRACTS) as Sam3Contract[])
  .filter((c) => c.exemplars !== 'none')
  .map((c) => c.layout);

/** A SAM 3 concept-model folder's contract, judged by which of the layouts' file sets it holds (undefined if none). */
export function sam3FilesIn(dir: string): Sam3Contract | undefined {
  return (Object.values(SAM3_CONTRACTS) as Sam3Contract[]).find((c) =>
    Object.values(c.files).every((f) => existsSync(join(dir, f))),
  );
}

/** What a graph declares, as onnxruntime reports it. */
export interface Declared {
  inputs: { name: string; type: string; shape: readonly (number | string)[] }[];
  outputs: string[];
}

const describe = (d: Declared) =>
  `inputs ${d.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(',')}]`).join(', ')}; outputs ${d.outputs.join(', ')}`;

/**
 * The layout whose decoder input names are exactly those the decoder graph declares, with every graph's dtypes,
 * ranks and outputs checked. Anything else is E_MODEL_UNSUPPORTED naming what the graph declares.
 */
export function recogniseSam3(
  label: string,
  graphs: { vision: Declared; text: Declared; decoder: Declared },
): Sam3Contract {
  const names = graphs.decoder.inputs.map((i) => i.name).sort();
  const contract = (Object.values(SAM3_CONTRACTS) as Sam3Contract[]).find(
    (c) => Object.keys(c.decoder).sort().join() === names.join(),
  );
  if (!contract)
    throw new ModelUnsupportedError(
      `${label}'s decoder is not a SAM 3 layout SegKit knows (${Object.keys(SAM3_CONTRACTS).join(', ')}): it declares ${describe(graphs.decoder)}`,
    );
  for (const role of ['vision', 'text', 'decoder'] as const) {
    const d = graphs[role];
    const problems: string[] = [];
    for (const [name, [type, rank]] of Object.entries(contract[role])) {
      const got = d.inputs.find((i) => i.name === name);
      if (!got) problems.push(`no input ${name}`);
      else if (got.type !== type || got.shape.length !== rank)
        problems.push(`${name} is ${got.type}[${got.shape.join(',')}], not ${type} of rank ${rank}`);
    }
    for (const name of contract.outputs[role])
      if (!d.outputs.includes(name)) problems.push(`no output ${name}`);
    if (problems.length)
      throw new ModelUnsupportedError(
        `${label}'s ${role} graph does not match the ${contract.layout} layout (${problems.join('; ')}): it declares ${describe(d)}`,
      );
  }
  return contract;
}
