// Defences that apply to every route: response headers (CSP, nosniff, no framing), the CSRF check for cookie
// sessions, a per-client cap on inference calls in flight, socket timeouts against slow clients, and storage
// failures (disk full, read-only) turned into coded answers. docs/security.md lists each with its test.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CsrfError, NoSpaceError, RateLimitedError, ReadOnlyError } from '@segkit/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The Content-Security-Policy of every answer: scripts only from the server itself (no inline script, no eval; WASM
 * may compile, for the browser decoder), no plugins, no framing, forms and fetches to the same origin.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every answer. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Cross-origin isolated (COOP + COEP): the browser decoder's WebAssembly threads need SharedArrayBuffer. Every
  // resource of the app comes from the server itself, so require-corp blocks nothing the pages use.
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** fastify `onSend`: the security headers (the Swagger UI page gets its own, looser CSP for its inline bootstrap). */
export async function securityHeaders(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
    if (k === 'content-security-policy' && req.url.startsWith('/api/docs')) continue;
    if (!reply.hasHeader(k)) reply.header(k, v);
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A request authenticated by the session cookie that changes state must come from the server's own pages: its
 * `Origin` must be this server's, or, without one, `Sec-Fetch-Site` must say same-origin. A cross-site form or script
 * can set neither. Requests with `Authorization: Bearer` are not cookie sessions and pass (a browser never adds
 * that header by itself).
 */
export function assertSameOrigin(req: FastifyRequest, via: 'header' | 'cookie'): void {
  if (via !== 'cookie' || SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (origin !== undefined) {
    let from: URL | undefined;
    try {
      from = new URL(origin);
    } catch {
      from = undefined;
    }
    if (from && host && from.host === host && (from.protocol === 'http:' || from.protocol === 'https:'))
      return;
    throw new CsrfError(
      `Refused a ${req.method} from origin ${origin}: the session cookie only works on this server's own pages`,
    );
  }
  if (req.headers['sec-fetch-site'] === 'same-origin') return;
  throw new CsrfError(
    `Refused a ${req.method} with the session cookie and no Origin header; scripts send Authorization: Bearer <token>`,
  );
}

/**
 * The per-user cap on inference calls in flight, in this process or shared by replicas (team/redis.ts): past the cap
 * a call is refused at once (429) instead of queueing forever.
 */
export interface InflightSlots {
  readonly max: number;
  /** Takes a slot for the user, or throws `E_RATE_LIMITED`; resolves to the function that gives it back. */
  enter(userId: number): Promise<() => void>;
}

export class InflightLimiter implements InflightSlots {
  private readonly counts = new Map<number, number>();
  constructor(readonly max: number) {}

  async enter(userId: number): Promise<() => void> {
    const n = this.counts.get(userId) ?? 0;
    if (n >= this.max)
      throw new RateLimitedError(
        `${n} inference calls of this client are still running (at most ${this.max} at once); retry when one finishes`,
      );
    this.counts.set(userId, n + 1);
    let left = false;
    return () => {
      if (!left) this.leave(userId);
      left = true;
    };
  }

  private leave(userId: number): void {
    const n = (this.counts.get(userId) ?? 1) - 1;
    if (n <= 0) this.counts.delete(userId);
    else this.counts.set(userId, n);
  }
}

/**
 * At most `size` inference calls run at once, server-wide; the others wait their turn in order. Model runs are
 * CPU-bound, so more at once is not faster, and each holds its own buffers: the cap bounds memory under load.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly size: number) {}

  async enter(): Promise<void> {
    if (this.running < this.size) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next caller
    else this.running--;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}

/** Socket timeouts: a client that sends its headers or body too slowly (slowloris) is cut off with a 408. */
export interface Timeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

/** An HTTP server factory for fastify with the timeouts set, and Node's check of them run often enough. */
export function serverFactory(t: Timeouts) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const server = createServer(
      {
        headersTimeout: t.headersMs,
        requestTimeout: t.requestMs,
        keepAliveTimeout: t.keepAliveMs,
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(t.headersMs / 4))),
      },
      handler,
    );
    return server;
  };
}

/** A storage failure (disk full, read-only disk or database) as its coded error, or undefined for anything else. */
export function storageError(e: unknown): Error | undefined {
  for (
    let cur = e as { code?: string; cause?: unknown; message?: string } | undefined, depth = 0;
    cur && depth < 5;
    depth++
  ) {
    const code = cur.code ?? '';
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL')
      return new NoSpaceError(
        'The disk holding the data directory is full; nothing was written. Free space and retry',
      );
    if (code === 'EROFS' || code.startsWith('SQLITE_READONLY'))
      return new ReadOnlyError('The data directory is read-only; nothing was written. Reads still work');
    cur = cur.cause as typeof cur;
  }
  return undefined;
}
