// The recipe routes' TypeBox schemas (re-exported by schemas.ts, which the web app reads).
import { type Static, Type } from 'typebox';

const Id = Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 });
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Scores = Type.Object({
  images: Type.Integer(),
  gt: Type.Integer(),
  detections: Type.Integer(),
  matched: Type.Integer(),
  coverage: Type.Number(),
  precision: Type.Number(),
  falsePositives: Type.Integer(),
  duplicates: Type.Integer(),
  detectionRate: Type.Number(),
  ap: Type.Number(),
});

export const RecipeSummary = Type.Object({
  id: Id,
  name: Type.String(),
  className: Type.String(),
  mode: Type.Union([Type.Literal('greedy'), Type.Literal('steps')]),
  prompts: Type.Array(Type.String(), { description: 'Greedy: the prompts; steps: each step’s seed text' }),
  filter: Type.Union([Type.Literal('crops'), Type.Literal('head'), Type.Null()]),
  backend: Type.Union([Type.Literal('sam3'), Type.Literal('pipeline')]),
  embedModel: Type.String(),
  scores: Scores,
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});
export const RecipeList = Type.Object({ recipes: Type.Array(RecipeSummary) });

export const RecipeMine = Type.Object(
  {
    classes: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 100 })),
    val: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.9, default: 0.2 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, default: 42 })),
    prompts: Type.Optional(
      Type.Record(Name, Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 32 })),
    ),
    mode: Type.Optional(Type.Union([Type.Literal('greedy'), Type.Literal('steps')], { default: 'greedy' })),
    targetPrecision: Type.Optional(Type.Number({ minimum: 0.01, maximum: 1, default: 0.9 })),
    iou: Type.Optional(Type.Number({ minimum: 0.05, maximum: 1, default: 0.5 })),
    head: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][\\w.-]{0,63}$',
        description: 'A head of the project: its gate filters',
      }),
    ),
  },
  { additionalProperties: false },
);

const Thresholds = {
  minProbability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  minMargin: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
  minPositive: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
  maxNegative: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
};

export const RecipeApply = Type.Object(
  { recipe: Id, classAs: Type.Optional(Name) },
  { additionalProperties: false },
);

export const CascadeApply = Type.Object(
  {
    steps: Type.Array(
      Type.Object(
        {
          recipe: Id,
          classAs: Type.Optional(Name),
          group: Type.Optional(Name),
          crossClass: Type.Optional(Type.Boolean()),
          ...Thresholds,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    dedup: Type.Optional(
      Type.Object(
        {
          iou: Type.Optional(Type.Number({ minimum: 0.05, maximum: 1 })),
          across: Type.Optional(Type.Union([Type.Literal('group'), Type.Literal('global')])),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type RecipeSummaryT = Static<typeof RecipeSummary>;
export type RecipeMineT = Static<typeof RecipeMine>;
export type CascadeApplyT = Static<typeof CascadeApply>;
