// Autosave: the effects of each command become server operations, run one at a time in order. Pending operations are
// kept in localStorage until the server has them, so a reload or a network error loses nothing; a 409 stops the
// queue and is reported, never overwritten silently.
import { ApiError, api } from '../api.js';
import type { Command, LocalAnnotation, Patch } from './history.js';

export type Op =
  | { type: 'create'; key: string; annotation: LocalAnnotation }
  | { type: 'update'; key: string; patch: Patch }
  | { type: 'delete'; key: string };

/** The server operations that persist a command. */
export function opsOf(cmd: Command): Op[] {
  switch (cmd.kind) {
    case 'add':
      return [{ type: 'create', key: cmd.annotation.key, annotation: cmd.annotation }];
    case 'remove':
      return [{ type: 'delete', key: cmd.annotation.key }];
    case 'update':
      return [{ type: 'update', key: cmd.key, patch: cmd.after }];
    case 'batch':
      return cmd.commands.flatMap(opsOf);
  }
}

export interface SyncEvents {
  /** A create or update was stored: the annotation's server id and version. */
  saved(key: string, id: number, version: number): void;
  /** The queue length changed (0: everything saved). */
  pending(n: number): void;
  /** A 409, or an error that retrying cannot fix: the queue stops until resolve(). */
  blocked(error: ApiError, op: Op): void;
  /** A network error: the queue retries by itself. */
  offline(error: ApiError | null): void;
}

/** What localStorage keeps for an image and mode until the server has it. */
export interface Saved {
  ops: Op[];
  ids: [key: string, id: number, version: number][];
}

const storageKey = (imageId: number, mode: string) => `segkit.pending.${imageId}.${mode}`;

export class SyncQueue {
  private ops: Op[] = [];
  private ids = new Map<string, { id: number; version: number }>();
  private running = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly imageId: number,
    private readonly mode: string,
    private readonly on: SyncEvents,
  ) {}

  /**
   * Operations left unsaved by an earlier visit (a reload, a closed tab, a network error), and the server ids its
   * local keys had by then.
   */
  static restore(imageId: number, mode: string): Saved {
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey(imageId, mode)) ?? 'null') as Saved | null;
      return saved && Array.isArray(saved.ops) ? saved : { ops: [], ids: [] };
    } catch {
      return { ops: [], ids: [] };
    }
  }

  know(key: string, id: number, version: number) {
    this.ids.set(key, { id, version });
  }

  get length() {
    return this.ops.length;
  }

  push(ops: Op[]) {
    this.ops.push(...ops);
    this.persist();
    void this.run();
  }

  /** After a conflict: drop what is pending (the caller reloads from the server). */
  discard() {
    this.ops = [];
    this.stopped = false;
    this.persist();
  }

  /** After a conflict: retry the blocked operation on the server's current version (keep mine). */
  async overwrite() {
    const op = this.ops[0];
    if (op && op.type === 'update') {
      const id = this.ids.get(op.key)?.id;
      if (id) {
        const now = await api.annotations(this.imageId, this.mode as 'inside_box');
        const current = now.find((a) => a.id === id);
        if (current) this.ids.set(op.key, { id, version: current.version });
      }
    }
    this.stopped = false;
    void this.run();
  }

  close() {
    clearTimeout(this.timer);
    this.stopped = true;
  }

  private persist() {
    const key = storageKey(this.imageId, this.mode);
    const saved: Saved = { ops: this.ops, ids: [...this.ids].map(([k, v]) => [k, v.id, v.version]) };
    if (this.ops.length) localStorage.setItem(key, JSON.stringify(saved));
    else localStorage.removeItem(key);
    this.on.pending(this.ops.length);
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (this.ops.length && !this.stopped) {
        const op = this.ops[0]!;
        try {
          await this.send(op);
          this.on.offline(null);
        } catch (e) {
          const err = e instanceof ApiError ? e : new ApiError(0, 'E_NETWORK', String(e));
          if (err.status === 0 || err.status >= 500) {
            this.on.offline(err);
            this.timer = setTimeout(() => void this.run(), 2000);
            return;
          }
          if (err.status === 404 && op.type === 'delete') {
            // Already gone: nothing to do.
          } else {
            this.stopped = true;
            this.on.blocked(err, op);
            return;
          }
        }
        this.ops.shift();
        this.persist();
      }
    } finally {
      this.running = false;
    }
  }

  private async send(op: Op): Promise<void> {
    if (op.type === 'create') {
      const a = op.annotation;
      const saved = await api.createAnnotation(this.imageId, {
        mode: a.mode,
        label: a.label,
        promptType: a.promptType,
        source: a.source,
        bbox: a.bbox,
        rle: a.rle,
        ...(a.score !== null ? { score: Math.min(1, Math.max(0, a.score)) } : {}),
        ...(a.model ? { model: a.model } : {}),
      });
      this.ids.set(op.key, { id: saved.id, version: saved.version });
      this.on.saved(op.key, saved.id, saved.version);
      return;
    }
    const known = this.ids.get(op.key);
    if (!known) return; // never reached the server (created and deleted offline)
    if (op.type === 'delete') {
      this.ids.delete(op.key);
      await api.deleteAnnotation(known.id);
      return;
    }
    const { score: _score, ...patch } = op.patch;
    const saved = await api.updateAnnotation(known.id, known.version, patch);
    this.ids.set(op.key, { id: saved.id, version: saved.version });
    this.on.saved(op.key, saved.id, saved.version);
  }
}
