// What every route works with: the database, the blob store, shared model sessions and the limits.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadImage, type RawImage, UnsafePathError } from '@segkit/core';
import { Segmenter } from '@segkit/models';
import type { Kysely } from 'kysely';
import type { BlobStore } from './blobs.js';
import type { Database } from './db/schema.js';
import type { JobBus } from './jobs/bus.js';
import type { JobQueue } from './jobs/queue.js';
import type { Metrics } from './metrics.js';

export interface Limits {
  /** Largest request body (JSON), bytes. */
  bodyBytes: number;
  /** Largest uploaded file, bytes. */
  fileBytes: number;
  /** Files per upload request. */
  files: number;
  /** Largest image, pixels (checked from the header before decoding). */
  maxPixels: number;
  /** Inference calls one user may have in flight at once; more are refused with 429 `E_RATE_LIMITED`. */
  inflightPerClient: number;
  /**
   * Inference calls of each kind running at once, server-wide: light ones (a decoder on a cached embedding) and heavy
   * ones (find-all, text, panoptic) queue apart, in order; past 8× this many heavy calls waiting, more get 429.
   * Default: the CPU count, at least 2.
   */
  inferenceConcurrency: number;
  /** Time a client has to send its request headers (slowloris), ms. */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included, ms. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  bodyBytes: 32 * 2 ** 20,
  fileBytes: 100 * 2 ** 20,
  files: 200,
  maxPixels: 100_000_000,
  inflightPerClient: 4,
  inferenceConcurrency: Math.max(2, availableParallelism()),
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 300_000,
};

/**
 * The models used when neither a call nor its project names one (`segkit serve --model/--text-model/--embed-model/
 * --find-model`). `find` is a SAM 3 concept model; without one, find-all runs the CLIPSeg + SAM + CLIP pipeline.
 */
export interface DefaultModels {
  segment?: string | undefined;
  text?: string | undefined;
  embed?: string | undefined;
  find?: string | undefined;
}

export class ServerContext {
  private readonly segmenters = new Map<string, Promise<Segmenter>>();
  private readonly decoded = new Map<string, Promise<RawImage>>();

  /** Set by openRuntime(): the process's metrics. */
  metrics: Metrics | undefined;
  /** Interactive inference calls in flight: batch jobs wait for them between items. */
  interactive = 0;

  constructor(
    readonly db: Kysely<Database>,
    readonly blobs: BlobStore,
    readonly dataDir: string,
    readonly limits: Limits,
    /** The job table, and how jobs reach workers (its claim loop, or BullMQ). */
    readonly jobs: JobQueue,
    /** Where job events are published and heard (this process, or Redis pub/sub). */
    readonly bus: JobBus,
    /** The models used when neither the call nor the project names one. */
    readonly defaults: DefaultModels = {},
  ) {}

  /** The models a project works with: its settings, else the server's defaults; undefined is the library default. */
  projectModels(project: { settings: { models?: DefaultModels } }): DefaultModels {
    const own = project.settings.models ?? {};
    return {
      segment: own.segment ?? this.defaults.segment,
      text: own.text ?? this.defaults.text,
      embed: own.embed ?? this.defaults.embed,
      find: own.find ?? this.defaults.find,
    };
  }

  /** Resolves once no interactive call is in flight (waiting at most 2 s, so that a job is never starved). */
  async interactiveIdle(): Promise<void> {
    for (let waited = 0; this.interactive > 0 && waited < 2000; waited += 10) await sleep(10);
  }

  /** Folders whose model directories requests may name (the server's own default model is always allowed). */
  modelRoots: string[] = [];

  /**
   * A model name a request may use: a preset, hub repo or imported name, or a folder inside the model roots. Any other
   * folder on the server's disk is E_UNSAFE_PATH, so that no request reads outside what the server was given.
   */
  allowModel<T extends string | undefined>(model: T): T {
    if (model === undefined || Object.values(this.defaults).includes(model)) return model;
    const path = resolve(model);
    if (!existsSync(path) || !statSync(path).isDirectory()) return model;
    const real = realpathSync(path);
    // Models this server trained (train-text jobs) live in the data folder and may be used like any other.
    const inside = [...this.modelRoots, join(this.dataDir, 'text-models')]
      .filter((r) => existsSync(r))
      .some((r) => {
        const root = realpathSync(resolve(r));
        return real === root || real.startsWith(`${root}${sep}`);
      });
    if (!inside)
      throw new UnsafePathError(
        `Model folder ${model} is outside the model roots this server was started with (segkit serve --model-root DIR)`,
      );
    return model;
  }

  /** One shared Segmenter per model (its embedding cache serves every user of that model). */
  segmenter(model: string | undefined): Promise<Segmenter> {
    this.allowModel(model);
    const key = model ?? '';
    let s = this.segmenters.get(key);
    if (!s) {
      s = Segmenter.create(model !== undefined ? { model } : {});
      this.segmenters.set(key, s);
      s.catch(() => this.segmenters.delete(key));
    }
    return s;
  }

  /** Counters of every segmenter opened so far, by model name. */
  async segmenterStats(): Promise<[string, Segmenter['stats']][]> {
    const out: [string, Segmenter['stats']][] = [];
    for (const p of this.segmenters.values()) {
      const s = await p.catch(() => undefined);
      if (s) out.push([s.modelName, s.stats]);
    }
    return out;
  }

  /** An image's decoded pixels, from its blob; the last few are kept so repeat prompts skip decoding. */
  image(sha256: string): Promise<RawImage> {
    let p = this.decoded.get(sha256);
    if (!p) {
      p = this.blobs.get(sha256).then((bytes) => loadImage(bytes, { maxPixels: this.limits.maxPixels }));
      this.decoded.set(sha256, p);
      p.catch(() => this.decoded.delete(sha256));
      while (this.decoded.size > 8) this.decoded.delete(this.decoded.keys().next().value!);
    }
    return p;
  }
}
