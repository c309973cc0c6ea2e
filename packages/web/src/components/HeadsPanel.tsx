// The project's classifier heads: train one on the project's labels (live per-epoch metrics), pick the active one
// (auto-class uses it at once), or none (zero-shot).
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api.js';
import { errorText } from '../util.js';
import { JobProgress, useJob } from './JobProgress.js';

export function HeadsPanel({ projectId }: { projectId: number }) {
  const client = useQueryClient();
  const heads = useQuery({ queryKey: ['heads', projectId], queryFn: () => api.heads(projectId) });
  const [name, setName] = useState('head-1');
  const [jobId, setJobId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: ['heads', projectId] });
  const job = useJob(jobId, undefined, refresh);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      refresh();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section className="panel" aria-label="Classifier heads" data-testid="heads">
      <h2>Classifier heads</h2>
      <p className="muted">
        A head learns your labels from the project’s labelled boxes and masks (CLIP embeddings + softmax
        regression). The active head names new boxes in the annotator’s auto-class (C).
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => setJobId((await api.trainHead(projectId, { name })).id));
        }}
      >
        <input aria-label="Head name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="primary">
          Train head
        </button>
      </form>
      <JobProgress job={job} label="Training" />
      {job?.message && <p className="muted">{job.message}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <fieldset className="heads-list">
        <legend>Active head</legend>
        <label>
          <input
            type="radio"
            name="head"
            checked={!heads.data?.active}
            onChange={() => void act(() => api.activateHead(projectId, null))}
          />{' '}
          none (zero-shot CLIP)
        </label>
        {heads.data?.heads.map((h) => (
          <label key={h.name}>
            <input
              type="radio"
              name="head"
              checked={h.active}
              onChange={() => void act(() => api.activateHead(projectId, h.name))}
            />{' '}
            <span className="label-name">{h.name}</span>{' '}
            <span className="muted">
              {h.labels.length} labels · val accuracy {h.valAccuracy?.toFixed(3) ?? '–'} · {h.samples.train}{' '}
              train crops · {h.embedModel}
            </span>
          </label>
        ))}
      </fieldset>
    </section>
  );
}
