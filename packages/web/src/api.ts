// The server's /api/v1 routes, typed with the server's own TypeBox types (never redeclared here). Every error is the
// server's {"error": {"code", "message"}}, thrown as an ApiError; a network failure is E_NETWORK.
import type {
  AnalyticsMaskT,
  AnalyticsRunT,
  AnnotationCreateT,
  AnnotationT,
  AnnotationUpdateT,
  BoxResultT,
  ClassifyResultT,
  DecoderInfoT,
  HeadListT,
  ImageListT,
  ImageT,
  ImageUpdateT,
  JobItemT,
  JobT,
  ModelStateT,
  ModeT,
  ProjectT,
  RecipeMineT,
  RecipeSummaryT,
  SegmentRequestT,
  SegmentResponseT,
} from '@segkit/server/schemas';

export type {
  AnnotationT,
  DecoderInfoT,
  ImageT,
  JobItemT,
  JobT,
  ModelStateT,
  ModeT,
  ProjectT,
  RecipeSummaryT,
};

/** One model the server knows: a preset (with its task), an imported one or another cached repo. */
export interface ModelListingT {
  name: string;
  source: string;
  status: 'ready' | 'missing' | 'corrupt';
  bytes: number;
  description: string;
  task?: string;
}

/** A file an upload did not add, and why. */
export interface Rejected {
  file: string;
  code: string;
  message: string;
}
export type ModelRole = 'segment' | 'text' | 'embed' | 'find';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BASE = '/api/v1';

/** Fetches a route; a network failure or a non-2xx answer becomes an ApiError with the server's code. */
async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(BASE + path, { credentials: 'same-origin', ...init });
  } catch (e) {
    throw new ApiError(0, 'E_NETWORK', `The server cannot be reached (${(e as Error).message})`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    throw new ApiError(
      res.status,
      body?.error?.code ?? 'E_NETWORK',
      body?.error?.message ?? `${res.status} ${res.statusText}`,
    );
  }
  return res;
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await request(path, init);
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.arrayBuffer()) as T;
}

const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const api = {
  me: () => call<{ name: string; role: string }>('/me'),
  projects: () => call<ProjectT[]>('/projects'),
  project: (id: number) => call<ProjectT>(`/projects/${id}`),
  updateProject: (id: number, body: Partial<Pick<ProjectT, 'name' | 'labels' | 'settings'>>) =>
    call<ProjectT>(`/projects/${id}`, json('PATCH', body)),
  images: (projectId: number, offset = 0, limit = 500) =>
    call<ImageListT>(`/projects/${projectId}/images?offset=${offset}&limit=${limit}`),
  image: (id: number) => call<ImageT>(`/images/${id}`),
  updateImage: (id: number, body: ImageUpdateT) => call<ImageT>(`/images/${id}`, json('PATCH', body)),
  upload: (projectId: number, files: File[]) => {
    const form = new FormData();
    for (const f of files) form.append('files', f, f.name);
    return call<{ created: number; added: ImageT[]; rejected: Rejected[] }>(`/projects/${projectId}/images`, {
      method: 'POST',
      body: form,
    });
  },
  annotations: (imageId: number, mode?: ModeT) =>
    call<AnnotationT[]>(`/images/${imageId}/annotations${mode ? `?mode=${mode}` : ''}`),
  createAnnotation: (imageId: number, body: AnnotationCreateT) =>
    call<AnnotationT>(`/images/${imageId}/annotations`, json('POST', body)),
  updateAnnotation: (id: number, version: number, body: AnnotationUpdateT) =>
    call<AnnotationT>(`/annotations/${id}`, json('PATCH', body, { 'if-match': String(version) })),
  deleteAnnotation: (id: number) => call<unknown>(`/annotations/${id}`, { method: 'DELETE' }),
  segment: (imageId: number, body: SegmentRequestT) =>
    call<SegmentResponseT>(`/images/${imageId}/segment`, json('POST', body)),
  refineBox: (imageId: number, box: [number, number, number, number]) =>
    call<BoxResultT>(`/images/${imageId}/refine-box`, json('POST', { box })),
  pointToBox: (imageId: number, point: [number, number]) =>
    call<BoxResultT>(`/images/${imageId}/point-to-box`, json('POST', { x: point[0], y: point[1] })),
  classify: (imageId: number, body: { box?: [number, number, number, number]; rle?: unknown }) =>
    call<ClassifyResultT>(`/images/${imageId}/classify`, json('POST', body)),
  findAll: (imageId: number, text?: string) =>
    call<{ annotations: AnnotationT[]; model: string | null }>(
      `/images/${imageId}/find-all`,
      json('POST', text ? { text } : {}),
    ),
  preload: (imageId: number, find = false) =>
    call<{ model: string; ms: number; cached: boolean }>(
      `/images/${imageId}/preload`,
      json('POST', find ? { find: true } : {}),
    ),
  decoder: (projectId: number, model?: string) =>
    call<DecoderInfoT>(`/projects/${projectId}/decoder${model ? `?model=${encodeURIComponent(model)}` : ''}`),
  process: (projectId: number, mode: ModeT, imageIds?: number[], recipe?: number) =>
    call<JobT>(
      `/projects/${projectId}/process`,
      json('POST', { mode, ...(imageIds ? { imageIds } : {}), ...(recipe ? { recipe } : {}) }),
    ),
  analyze: (projectId: number) => call<JobT>(`/projects/${projectId}/analyze`, json('POST', {})),
  analytics: (projectId: number) => call<AnalyticsRunT>(`/projects/${projectId}/analytics`),
  labelMasks: (projectId: number, ids: string[], label: string) =>
    call<{ labelled: number; created: number; relabelled: number; annotationIds: number[] }>(
      `/projects/${projectId}/analytics/label`,
      json('POST', { ids, label }),
    ),
  exportJob: (projectId: number, format: 'coco' | 'yolo' | 'yolo-seg' | 'masks', mode: ModeT) =>
    call<JobT>(`/projects/${projectId}/export`, json('POST', { format, mode })),
  job: (id: number) => call<JobT>(`/jobs/${id}`),
  jobItems: (id: number, failed = true) =>
    call<{ items: JobItemT[] }>(`/jobs/${id}/items?limit=1000${failed ? '&failed=true' : ''}`),
  projectModels: (projectId: number) => call<Record<ModelRole, ModelStateT>>(`/projects/${projectId}/models`),
  models: () => call<ModelListingT[]>('/models'),
  heads: (projectId: number) => call<HeadListT>(`/projects/${projectId}/heads`),
  trainHead: (projectId: number, body: { name: string; balanced?: boolean; val?: number }) =>
    call<JobT>(`/projects/${projectId}/heads`, json('POST', body)),
  activateHead: (projectId: number, name: string | null) =>
    call<{ active: string | null }>(`/projects/${projectId}/heads/active`, json('PUT', { name })),
  jobs: () => call<JobT[]>('/jobs'),
  recipes: (projectId: number) => call<{ recipes: RecipeSummaryT[] }>(`/projects/${projectId}/recipes`),
  importRecipe: (projectId: number, file: File) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return call<RecipeSummaryT>(`/projects/${projectId}/recipes`, { method: 'POST', body: form });
  },
  deleteRecipe: (id: number) => call<unknown>(`/recipes/${id}`, { method: 'DELETE' }),
  mineRecipes: (projectId: number, body: RecipeMineT) =>
    call<JobT>(`/projects/${projectId}/recipes/mine`, json('POST', body)),
  applyRecipe: (imageId: number, recipe: number) =>
    call<{ annotations: AnnotationT[] }>(`/images/${imageId}/recipes/apply`, json('POST', { recipe })),
  applyCascade: (imageId: number, recipes: number[]) =>
    call<{ annotations: AnnotationT[] }>(
      `/images/${imageId}/recipes/cascade`,
      json('POST', { steps: recipes.map((recipe) => ({ recipe })) }),
    ),
};

export const recipeZipUrl = (id: number) => `${BASE}/recipes/${id}/zip`;

/** Raw bytes of a route (the embedding, decoder graphs), with the response headers. */
export async function fetchBinary(path: string): Promise<{ bytes: ArrayBuffer; headers: Headers }> {
  const res = await request(path);
  return { bytes: await res.arrayBuffer(), headers: res.headers };
}

/** Server-Sent Events of a route, parsed; returns a function that closes the stream. */
export function events(path: string, on: (event: string, data: unknown) => void): () => void {
  const source = new EventSource(BASE + path, { withCredentials: true });
  const handler = (e: MessageEvent) => on(e.type, JSON.parse(e.data as string));
  const names = ['state', 'started', 'progress', 'item', 'finished', 'failed', 'cancelled', 'snapshot'];
  for (const name of [...names, 'inference-start', 'inference-end'])
    source.addEventListener(name, handler as EventListener);
  source.onmessage = handler;
  return () => source.close();
}

export const fileUrl = (imageId: number) => `${BASE}/images/${imageId}/file`;
export const thumbUrl = (imageId: number, size = 256) => `${BASE}/images/${imageId}/thumbnail?size=${size}`;

export const analyticsMask = (projectId: number, id: string) =>
  call<AnalyticsMaskT>(`/projects/${projectId}/analytics/mask?id=${encodeURIComponent(id)}`);
export const analyticsZipUrl = (projectId: number, imageId: number) =>
  `${BASE}/projects/${projectId}/analytics/zip?imageId=${imageId}`;
