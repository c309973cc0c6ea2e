// Every route's TypeBox schemas: request validation, the types routes and the web app use, and the OpenAPI document.
import { type Static, Type } from 'typebox';

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  {
    $id: 'Error',
    description: 'Every 4xx/5xx answer: a stable code from docs/errors.md and a one-line message',
  },
);

/** A row id: the databases number rows with 32-bit integers (PostgreSQL's serial), so larger ids name nothing. */
const Id = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });
export const IdParams = Type.Object({ id: Id });
export const ImageParams = Type.Object({ imageId: Id });
export const AnnotationParams = Type.Object({ annotationId: Id });

export const Label = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  colour: Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
});
const ModelName = Type.String({ minLength: 1, maxLength: 300 });
export const ProjectSettings = Type.Object(
  {
    models: Type.Optional(
      Type.Object(
        {
          segment: Type.Optional(ModelName),
          text: Type.Optional(ModelName),
          embed: Type.Optional(ModelName),
          find: Type.Optional(ModelName),
        },
        { additionalProperties: false },
      ),
    ),
    head: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
        description:
          "The project's active classifier head (auto-class uses it; set with PUT /projects/{id}/heads/active)",
      }),
    ),
  },
  { additionalProperties: false },
);
export const Project = Type.Object({
  id: Id,
  name: Type.String(),
  labels: Type.Array(Label),
  settings: ProjectSettings,
  createdAt: Type.String(),
});
export const ProjectCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    labels: Type.Optional(Type.Array(Label, { maxItems: 500 })),
    settings: Type.Optional(ProjectSettings),
  },
  { additionalProperties: false },
);
export const ProjectUpdate = Type.Partial(ProjectCreate, { additionalProperties: false });

export const Mode = Type.Union([Type.Literal('inside_box'), Type.Literal('find_all')]);
export const PromptType = Type.Union([
  Type.Literal('segment'),
  Type.Literal('positive_exemplar'),
  Type.Literal('negative_exemplar'),
]);
export const Source = Type.Union([Type.Literal('user'), Type.Literal('model')]);
export const Status = Type.Union([
  Type.Literal('none'),
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
]);

export const Image = Type.Object({
  id: Id,
  projectId: Id,
  sha256: Type.String(),
  fileName: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  textPrompt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  status: Type.Object({ inside_box: Status, find_all: Status }),
  /** Why the last processing of each mode failed (null unless its status is `failed`). */
  errors: Type.Object({
    inside_box: Type.Union([Type.String(), Type.Null()]),
    find_all: Type.Union([Type.String(), Type.Null()]),
  }),
  annotations: Type.Object({ inside_box: Type.Integer(), find_all: Type.Integer() }),
  /** Positive exemplar boxes (find-all): with no text prompt and none of these, find-all has nothing to look for. */
  exemplars: Type.Integer(),
});
export const ImageList = Type.Object({
  items: Type.Array(Image),
  total: Type.Integer(),
  offset: Type.Integer(),
});
export const Page = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export const ImageUpdate = Type.Object(
  { textPrompt: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]) },
  { additionalProperties: false },
);

const Coord = Type.Number({ minimum: 0, maximum: 1e6 });
// Fixed-length arrays rather than tuples: OpenAPI has no tuple form (`items: [...]`), so the document stays valid.
export const BoxXYWH = Type.Unsafe<[number, number, number, number]>(
  Type.Array(Coord, { minItems: 4, maxItems: 4, description: '[x, y, w, h] in image pixels' }),
);
export const Rle = Type.Object(
  {
    size: Type.Unsafe<[number, number]>(
      Type.Array(Type.Integer({ minimum: 1 }), { minItems: 2, maxItems: 2, description: '[height, width]' }),
    ),
    counts: Type.String({ maxLength: 50_000_000 }),
  },
  { description: 'COCO compressed RLE: size [height, width]' },
);
export const Annotation = Type.Object({
  id: Id,
  imageId: Id,
  label: Type.Union([Type.String(), Type.Null()]),
  mode: Mode,
  promptType: PromptType,
  source: Source,
  bbox: BoxXYWH,
  rle: Type.Union([Rle, Type.Null()]),
  score: Type.Union([Type.Number(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const AnnotationCreate = Type.Object(
  {
    mode: Mode,
    label: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    promptType: Type.Optional(PromptType),
    source: Type.Optional(Source),
    bbox: Type.Optional(BoxXYWH),
    rle: Type.Optional(Type.Union([Rle, Type.Null()])),
    score: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    model: Type.Optional(Type.Union([ModelName, Type.Null()])),
  },
  { additionalProperties: false },
);
export const AnnotationUpdate = Type.Object(
  {
    label: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    promptType: Type.Optional(PromptType),
    bbox: Type.Optional(BoxXYWH),
    rle: Type.Optional(Type.Union([Rle, Type.Null()])),
  },
  { additionalProperties: false },
);
export const AnnotationFilter = Type.Object({
  mode: Type.Optional(Mode),
  promptType: Type.Optional(PromptType),
  source: Type.Optional(Source),
  label: Type.Optional(Type.String({ maxLength: 64 })),
});
export const IfMatch = Type.Object({ 'if-match': Type.String({ pattern: '^(W/)?"?[0-9]+"?$' }) });

export const SegmentRequest = Type.Object(
  {
    points: Type.Optional(
      Type.Array(
        Type.Object(
          { x: Coord, y: Coord, label: Type.Union([Type.Literal(1), Type.Literal(0)]) },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 64 },
      ),
    ),
    box: Type.Optional(BoxXYWH),
    multimask: Type.Optional(Type.Boolean()),
    model: Type.Optional(ModelName),
  },
  { additionalProperties: false },
);
export const Candidate = Type.Object({
  rle: Rle,
  bbox: BoxXYWH,
  area: Type.Integer(),
  score: Type.Number(),
  scoreKind: Type.Union([Type.Literal('predicted-iou'), Type.Literal('stability')]),
});
export const SegmentResponse = Type.Object({ model: Type.String(), candidates: Type.Array(Candidate) });

export type LabelT = Static<typeof Label>;
export type ProjectT = Static<typeof Project>;
export type ProjectCreateT = Static<typeof ProjectCreate>;
export type ImageT = Static<typeof Image>;
export type AnnotationT = Static<typeof Annotation>;
export type AnnotationCreateT = Static<typeof AnnotationCreate>;
export type AnnotationUpdateT = Static<typeof AnnotationUpdate>;
export type SegmentRequestT = Static<typeof SegmentRequest>;
export type SegmentResponseT = Static<typeof SegmentResponse>;

export const DecoderInfo = Type.Object({
  model: Type.String(),
  family: Type.Union([
    Type.Literal('sam'),
    Type.Literal('sam2'),
    Type.Literal('sam3-tracker'),
    Type.Literal('classic'),
  ]),
  browser: Type.Boolean({ description: 'whether the browser can run this model’s decoder itself' }),
  reason: Type.Optional(Type.String()),
  candidates: Type.Integer(),
  graphs: Type.Array(
    Type.Object({
      index: Type.Integer(),
      layout: Type.Union([
        Type.Literal('sam'),
        Type.Literal('sam2'),
        Type.Literal('sam3-tracker'),
        Type.Literal('sam-official'),
        Type.Literal('sam2-pair'),
      ]),
      points: Type.Boolean(),
      boxes: Type.Boolean(),
      bytes: Type.Integer(),
      data: Type.Array(Type.Object({ name: Type.String(), bytes: Type.Integer() }), {
        description:
          'External-data side files holding the graph’s weights (GET …/decoder/{index}/data/{k}), loaded with it under these names',
      }),
    }),
  ),
});
export const AnalyticsPoint = Type.Object({
  id: Type.String({ description: 'the mask id in the run: `<image stem>/<k>`' }),
  imageId: Type.Union([Id, Type.Null()]),
  x: Type.Number(),
  y: Type.Number(),
  cluster: Type.Integer({ description: '-1 for noise' }),
  area: Type.Number(),
  bbox: BoxXYWH,
  label: Type.Union([Type.String(), Type.Null()]),
  annotationId: Type.Union([Id, Type.Null()]),
});
export const AnalyticsRun = Type.Object({
  run: Type.Union([
    Type.Object({ name: Type.String(), masks: Type.Integer(), clusters: Type.Integer() }),
    Type.Null(),
  ]),
  points: Type.Array(AnalyticsPoint),
});
export const AnalyticsLabel = Type.Object(
  {
    ids: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 100_000 }),
    label: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

export type DecoderInfoT = Static<typeof DecoderInfo>;
export type AnalyticsRunT = Static<typeof AnalyticsRun>;
export type AnalyticsPointT = Static<typeof AnalyticsPoint>;

/** A background job as the job routes answer it. */
export const Job = Type.Object({
  id: Type.Integer(),
  projectId: Type.Union([Type.Integer(), Type.Null()]),
  kind: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  state: Type.Union([
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('succeeded'),
    Type.Literal('partial'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ]),
  done: Type.Integer(),
  total: Type.Integer(),
  message: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer({
    description:
      'Times a worker took the job up: a job split into lanes counts once per lane, and each resume after a stop or a crash counts once more',
  }),
  result: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]),
  /** Items that failed: the job ends `partial` when some did, `failed` when all did (`GET /jobs/{id}/items`). */
  failedItems: Type.Integer(),
  cancelRequested: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type JobT = Static<typeof Job>;
/** A model a project works with, as the settings panel shows it. */
export const ModelState = Type.Object({
  ref: Type.String(),
  from: Type.Union([Type.Literal('project'), Type.Literal('server'), Type.Literal('default')]),
  status: Type.Union([
    Type.Literal('ready'),
    Type.Literal('missing'),
    Type.Literal('corrupt'),
    Type.Literal('unknown'),
  ]),
  pull: Type.Union([Type.String(), Type.Null()]),
  test: Type.Boolean(),
  classic: Type.Boolean(),
  /** Find-all with no SAM 3 model set: the CLIPSeg + SAM + CLIP pipeline answers (its models are the other roles). */
  pipeline: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
});
export type ModelStateT = Static<typeof ModelState>;
/** One finished item of a job, with why it failed. */
export const JobItem = Type.Object({
  item: Type.String(),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  finishedAt: Type.String(),
  worker: Type.Union([Type.String(), Type.Null()], {
    description: 'The worker process (host:pid) that finished the item',
  }),
});
export type JobItemT = Static<typeof JobItem>;
export type ModeT = Static<typeof Mode>;
export type ImageListT = Static<typeof ImageList>;
export type ImageUpdateT = Static<typeof ImageUpdate>;
export type CandidateT = Static<typeof Candidate>;

/** refine-box and point-to-box: the tight box and its mask. */
export const BoxResult = Type.Object({ model: Type.String(), box: BoxXYWH, rle: Rle, score: Type.Number() });
/** classify: the labels ranked by probability, and the top-two margin. */
export const ClassifyResult = Type.Object({
  ranked: Type.Array(Type.Object({ label: Type.String(), probability: Type.Number() })),
  margin: Type.Number(),
  source: Type.Union([Type.Literal('head'), Type.Literal('zero-shot')], {
    description: "`head`: the project's active classifier head; `zero-shot`: CLIP against the label names",
  }),
  head: Type.Union([Type.String(), Type.Null()]),
  unsure: Type.Boolean({ description: 'the top probability is under 0.5' }),
});
export const HeadSummary = Type.Object({
  name: Type.String(),
  labels: Type.Array(Type.String()),
  embedModel: Type.String(),
  dim: Type.Integer(),
  valAccuracy: Type.Union([Type.Number(), Type.Null()]),
  valMacroF1: Type.Union([Type.Number(), Type.Null()]),
  samples: Type.Object({ train: Type.Integer(), val: Type.Integer() }),
  createdAt: Type.String(),
  active: Type.Boolean(),
});
export const HeadList = Type.Object({
  active: Type.Union([Type.String(), Type.Null()]),
  heads: Type.Array(HeadSummary),
});
export const HeadTrain = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][\\w.-]{0,63}$' }),
    embedModel: Type.Optional(ModelName),
    val: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9, default: 0.2 })),
    balanced: Type.Optional(Type.Boolean({ default: false })),
    c: Type.Optional(Type.Number({ minimum: 1e-6, maximum: 1e6, default: 1 })),
    epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 60 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, default: 42 })),
  },
  { additionalProperties: false },
);
export const TextModelTrain = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][\\w.-]{0,63}$' }),
    prompts: Type.Record(
      Type.String({ minLength: 1, maxLength: 64 }),
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 32 }),
      { minProperties: 1 },
    ),
    model: Type.Optional(ModelName),
    epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 8 })),
    lr: Type.Optional(Type.Number({ minimum: 1e-9, maximum: 1 })),
    batch: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: 16 })),
    val: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.9, default: 0.2 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, default: 42 })),
    freezeReduces: Type.Optional(Type.Boolean({ default: false })),
    q8: Type.Optional(
      Type.Boolean({ default: false, description: 'Also write onnx/model_quantized.onnx, the 8-bit copy' }),
    ),
  },
  { additionalProperties: false },
);
export type HeadListT = Static<typeof HeadList>;
export type BoxResultT = Static<typeof BoxResult>;
export type ClassifyResultT = Static<typeof ClassifyResult>;
export type AnnotationListT = Static<typeof Annotation>[];
export const AnalyticsMask = Type.Object({
  id: Type.String(),
  imageId: Type.Union([Id, Type.Null()]),
  rle: Rle,
});
export type AnalyticsMaskT = Static<typeof AnalyticsMask>;
export * from './schemas-recipes.js';
