// Find-all on one image: its text prompt (or one given) and its exemplar boxes → every instance, saved as
// model-made find_all annotations that replace the previous model-made ones (user-made annotations stay).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerContext } from '../context.js';
import { getImage } from '../repo/images.js';
import { getProject, requireWrite } from '../repo/projects.js';
import { Annotation, ErrorBody, ImageParams } from '../schemas.js';
import { NEEDS_PROMPT, runFindAll } from '../services/find-all.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };
const Model = Type.Optional(Type.String({ minLength: 1, maxLength: 300 }));

export const findAllRoutes: FastifyPluginAsyncTypebox<{ ctx: ServerContext }> = async (app, { ctx }) => {
  app.post(
    '/images/:imageId/find-all',
    {
      schema: {
        tags: ['inference'],
        description: `Finds every instance described by the image's text prompt (or \`text\`) and its positive/negative exemplar annotations (mode find_all). Saves them as find_all annotations (source model), replacing the previous model-made ones. With neither a prompt nor a positive exemplar: 400 "${NEEDS_PROMPT}". A SAM 3 find model (\`findModel\`, else the project's \`settings.models.find\`, else \`segkit serve --find-model\`) answers the whole prompt; without one the CLIPSeg + SAM + CLIP pipeline does. \`model\` says which answered.`,
        params: ImageParams,
        body: Type.Object(
          {
            text: Type.Optional(Type.String({ maxLength: 200 })),
            threshold: Type.Optional(Type.Number({ minimum: -1, maximum: 1 })),
            maxInstances: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            model: Model,
            textModel: Model,
            embedModel: Model,
            findModel: Model,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            annotations: Type.Array(Annotation),
            model: Type.Union([Type.String(), Type.Null()], {
              description: 'The SAM 3 model that answered; null when the CLIPSeg + SAM + CLIP pipeline did',
            }),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const image = await getImage(ctx.db, req.caller, req.params.imageId);
      requireWrite(req.caller);
      const project = await getProject(ctx.db, req.caller, image.projectId);
      return runFindAll(ctx, image, project, req.body, req.caller.name);
    },
  );
};
