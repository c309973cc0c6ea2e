// A job's progress bar, fed by its event stream (GET /jobs/{id}/events); a job whose items failed says how many and
// lists each one's reason.
import { useEffect, useState } from 'react';
import { api, events, type JobItemT, type JobT } from '../api.js';

const FINAL_EVENTS = ['finished', 'failed', 'cancelled'];

export function useJob(jobId: number | null, onItem?: () => void, onEnd?: (job: JobT) => void) {
  const [job, setJob] = useState<JobT | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: one stream per job
  useEffect(() => {
    if (!jobId) return;
    setJob(null);
    let closed = false;
    const close = events(`/jobs/${jobId}/events`, (type, data) => {
      const j = type === 'item' ? (data as { job: JobT }).job : (data as JobT);
      setJob(j);
      if (type === 'item') onItem?.();
      if (FINAL_EVENTS.includes(type) && !closed) {
        closed = true;
        close();
        onEnd?.(j);
      }
    });
    return close;
  }, [jobId]);
  return job;
}

/** The failed items of a job, fetched once it has some and again when it ends. */
function useFailedItems(job: JobT | null) {
  const [items, setItems] = useState<JobItemT[]>([]);
  const key = job ? `${job.id}:${job.failedItems}:${job.state}` : '';
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetched when the count or the state moves
  useEffect(() => {
    if (!job?.failedItems) return setItems([]);
    let live = true;
    api
      .jobItems(job.id)
      .then((r) => live && setItems(r.items))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [key]);
  return items;
}

const STATE: Record<JobT['state'], string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  partial: 'finished with failures',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function JobProgress({
  job,
  label,
  itemName,
}: {
  job: JobT | null;
  label: string;
  /** How a failed item is named in the list (an image's file name), by its key. */
  itemName?: (item: string) => string;
}) {
  const failed = useFailedItems(job);
  if (!job) return null;
  const pct = job.total ? Math.round((100 * job.done) / job.total) : job.state === 'succeeded' ? 100 : 0;
  return (
    <div className={`job job-${job.state}`} data-testid="job" data-state={job.state}>
      <div
        className="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        data-testid="progress"
      >
        <div style={{ width: `${pct}%` }} />
      </div>
      <span>
        {label}: {STATE[job.state]} · {job.done}/{job.total} ({pct}%)
        {job.failedItems > 0 && (
          <strong className="error" data-testid="failed-count">
            {' '}
            · {job.failedItems} failed
          </strong>
        )}
        {job.error && job.state === 'failed' ? <span className="error"> · {job.error}</span> : ''}
      </span>
      {failed.length > 0 && (
        <details className="failed-items" open={failed.length <= 5}>
          <summary>Why {failed.length === 1 ? 'it' : `these ${failed.length}`} failed</summary>
          <ul data-testid="failed-items">
            {failed.map((f) => (
              <li key={f.item}>
                <span className="file-name">{itemName ? itemName(f.item) : f.item}</span>: {f.error?.message}{' '}
                <small className="code">{f.error?.code}</small>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
