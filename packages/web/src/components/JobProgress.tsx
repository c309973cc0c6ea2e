// A job's progress bar, fed by its event stream (GET /jobs/{id}/events).
import { useEffect, useState } from 'react';
import { events, type JobT } from '../api.js';

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
      if (['finished', 'failed', 'cancelled'].includes(type) && !closed) {
        closed = true;
        close();
        onEnd?.(j);
      }
    });
    return close;
  }, [jobId]);
  return job;
}

export function JobProgress({ job, label }: { job: JobT | null; label: string }) {
  if (!job) return null;
  const pct = job.total ? Math.round((100 * job.done) / job.total) : job.state === 'succeeded' ? 100 : 0;
  return (
    <div className="job" data-testid="job" data-state={job.state}>
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
        {label}: {job.state} · {job.done}/{job.total} ({pct}%){job.error ? ` · ${job.error}` : ''}
      </span>
    </div>
  );
}
