// Prometheus metrics (prom-client), one registry per app: requests by route and status, inference latency by kind
// and model, encoder runs and embedding-cache hits of the shared segmenters, and the process's own metrics.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics read from the server when scraped: its shared segmenters' counters and the job queue's depth. */
export interface MetricSources {
  segmenterStats(): Promise<[string, { encoderRuns: number; cacheHits: number; cacheBytes: number }][]>;
  jobs: { depth(): Promise<Record<string, number>> };
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'segkit_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'segkit_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly inferenceSeconds = new Histogram({
    name: 'segkit_inference_duration_seconds',
    help: 'Inference latency by kind (segment, …) and model',
    labelNames: ['kind', 'model'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor(ctx: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'segkit_' });
    const fromSegmenters = (pick: 'encoderRuns' | 'cacheHits' | 'cacheBytes') =>
      async function (this: Gauge<'model'>) {
        this.reset();
        for (const [model, stats] of await ctx.segmenterStats()) this.set({ model }, stats[pick]);
      };
    new Gauge({
      name: 'segkit_encoder_runs',
      help: 'Image encoder runs of each shared segmenter since start',
      labelNames: ['model'] as const,
      registers: [this.registry],
      collect: fromSegmenters('encoderRuns'),
    });
    new Gauge({
      name: 'segkit_jobs',
      help: 'Jobs by state (queued is the queue depth)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        for (const [state, n] of Object.entries(await ctx.jobs.depth())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'segkit_embedding_cache_hits',
      help: 'Prompts served from an already encoded image, per shared segmenter, since start',
      labelNames: ['model'] as const,
      registers: [this.registry],
      collect: fromSegmenters('cacheHits'),
    });
    new Gauge({
      name: 'segkit_embedding_cache_bytes',
      help: 'Bytes of image encodings each shared segmenter holds in memory (bounded by its cache budget)',
      labelNames: ['model'] as const,
      registers: [this.registry],
      collect: fromSegmenters('cacheBytes'),
    });
  }

  /** Times an inference call of `kind` on `model`. */
  async time<T>(kind: string, model: string, fn: () => Promise<T>): Promise<T> {
    const end = this.inferenceSeconds.startTimer({ kind, model });
    try {
      return await fn();
    } finally {
      end();
    }
  }
}
