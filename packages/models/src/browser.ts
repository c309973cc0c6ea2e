/**
 * `@segkit/models/browser`: the browser-safe part of the model runtime (no Node or onnxruntime-node import): the SAM
 * decoder's feeds and outputs, and the logits-to-mask post-processing that the server uses too.
 * @packageDocumentation
 */
export {
  type BrowserPrompt,
  buildDecoderFeeds,
  candidateMasks,
  type DecodedCandidates,
  type DecoderLayout,
  type EmbeddingTensors,
  type FeedTensor,
  readDecoderOutputs,
} from './decoder-feeds.js';
export { logitsToMask } from './postprocess.js';
