// The live request queue (Tator's): inference calls in flight (segment, preload, embedding, find-all, …) and queued or
// running jobs, from the server's activity stream.
import { useEffect, useState } from 'react';
import { events, type JobT } from '../api.js';

interface Call {
  id: string;
  kind: string;
  imageId: number | null;
  startedAt: string;
}

export function ActivityOverlay() {
  const [calls, setCalls] = useState<Call[]>([]);
  const [jobs, setJobs] = useState<JobT[]>([]);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const upsert = (job: JobT) =>
      setJobs((list) => {
        const rest = list.filter((j) => j.id !== job.id);
        return job.state === 'running' || job.state === 'queued' ? [...rest, job] : rest;
      });
    return events('/activity/events', (type, data) => {
      if (type === 'snapshot') {
        const s = data as { inference: Call[]; jobs: JobT[] };
        setCalls(s.inference);
        setJobs(s.jobs);
      } else if (type === 'inference-start') setCalls((c) => [...c, (data as { call: Call }).call]);
      else if (type === 'inference-end') {
        const id = (data as { call: Call }).call.id;
        setCalls((c) => c.filter((x) => x.id !== id));
      } else {
        // Job events carry the job (the activity stream sends it bare; a job's own stream wraps `item` events).
        const job = (data as { job?: JobT }).job ?? (data as JobT);
        if (job && typeof job.id === 'number') upsert(job);
      }
    });
  }, []);
  const n = calls.length + jobs.length;
  return (
    <aside className="activity" aria-label="Requests in flight" data-testid="activity">
      <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>
        {n ? `${n} in flight` : 'idle'}
      </button>
      {open && (
        <ul>
          {calls.map((c) => (
            <li key={c.id}>
              {c.kind}
              {c.imageId ? ` · image ${c.imageId}` : ''}
            </li>
          ))}
          {jobs.map((j) => (
            <li key={`j${j.id}`}>
              job {j.id} {j.kind} · {j.state} {j.total ? `${j.done}/${j.total}` : ''}
            </li>
          ))}
          {!n && <li className="muted">Nothing running</li>}
        </ul>
      )}
    </aside>
  );
}
