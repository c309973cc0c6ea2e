// What the server is doing right now (Tator's live request queue): interactive inference calls in flight, and jobs.
import { EventEmitter } from 'node:events';

export interface InferenceCall {
  id: string;
  kind: string;
  imageId: number | null;
  user: string;
  startedAt: string;
}

export class Activity {
  readonly events = new EventEmitter();
  private readonly calls = new Map<string, InferenceCall>();

  constructor() {
    this.events.setMaxListeners(0);
  }

  start(call: InferenceCall): void {
    this.calls.set(call.id, call);
    this.events.emit('activity', { type: 'inference-start', call });
  }

  end(id: string): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    this.events.emit('activity', {
      type: 'inference-end',
      call,
      ms: Date.now() - Date.parse(call.startedAt),
    });
  }

  inFlight(): InferenceCall[] {
    return [...this.calls.values()];
  }
}
