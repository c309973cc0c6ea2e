// SAMUI's processing page: run a mode over all, unprocessed or selected images, with a live progress bar; the mode's
// result gallery updates as each image finishes; download the mode's COCO JSON or an export zip.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useStore } from 'zustand';
import { api, type JobT } from '../api.js';
import { PageError } from '../components/Errors.js';
import { HeadsPanel } from '../components/HeadsPanel.js';
import { JobProgress, useJob } from '../components/JobProgress.js';
import { Link } from '../components/Link.js';
import { MaskThumb } from '../components/MaskThumb.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { MODE_NAMES, modeStore } from '../router.js';
import { errorText } from '../util.js';

type Which = 'all' | 'unprocessed' | 'selected';

export function Processing({ projectId }: { projectId: number }) {
  const mode = useStore(modeStore, (s) => s.mode);
  const client = useQueryClient();
  const project = useQuery({ queryKey: ['project', projectId], queryFn: () => api.project(projectId) });
  const images = useQuery({ queryKey: ['images', projectId], queryFn: () => api.images(projectId) });
  const [which, setWhich] = useState<Which>('all');
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [jobId, setJobId] = useState<number | null>(null);
  const [exportId, setExportId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  // find-all batches may apply one of the project's recipes instead of each image's own prompt.
  const recipes = useQuery({ queryKey: ['recipes', projectId], queryFn: () => api.recipes(projectId) });
  const [recipe, setRecipe] = useState<number | null>(null);
  const withRecipe = mode === 'find_all' && recipe !== null;
  const refresh = () => void client.invalidateQueries({ queryKey: ['images', projectId] });
  const job = useJob(jobId, refresh, refresh);
  const exportJob = useJob(exportId, undefined, (j: JobT) => {
    if (j.state === 'succeeded' || j.state === 'partial')
      window.location.assign(`/api/v1/jobs/${j.id}/download`);
  });

  const items = images.data?.items ?? [];
  const chosen =
    which === 'all'
      ? items.map((i) => i.id)
      : which === 'unprocessed'
        ? items.filter((i) => i.status[mode] !== 'done').map((i) => i.id)
        : [...selected];
  const byId = new Map(items.map((i) => [i.id, i]));
  // find-all needs a text prompt or a positive exemplar on each image; say how many have neither before it runs.
  const nothingToFind =
    mode === 'find_all' && !withRecipe
      ? chosen.filter((id) => {
          const im = byId.get(id);
          return im && !im.textPrompt?.trim() && im.exemplars === 0;
        }).length
      : 0;
  const run = async () => {
    setError(null);
    try {
      setJobId((await api.process(projectId, mode, chosen, withRecipe ? recipe : undefined)).id);
      refresh();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const exportZip = async () => {
    setError(null);
    try {
      setExportId((await api.exportJob(projectId, 'coco', mode)).id);
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (images.error) return <PageError error={images.error} projectId={projectId} />;
  return (
    <section>
      <div className="toolbar">
        <h1>Processing</h1>
      </div>
      <p className="muted">
        {mode === 'inside_box'
          ? 'inside-box: SAM segments inside every box of each image.'
          : withRecipe
            ? 'find-all with a recipe: the recipe finds its class on each image (its prompts, filter and thresholds).'
            : 'find-all: each image’s text prompt and exemplars find every matching object.'}
      </p>
      {mode === 'find_all' && (recipes.data?.recipes.length ?? 0) > 0 && (
        <label className="row">
          Find with{' '}
          <select
            data-testid="process-recipe"
            value={recipe ?? ''}
            onChange={(e) => setRecipe(e.target.value ? Number(e.target.value) : null)}
          >
            <option value="">each image’s prompt and exemplars</option>
            {recipes.data?.recipes.map((r) => (
              <option key={r.id} value={r.id}>
                recipe {r.name} (precision {r.scores.precision.toFixed(2)}, coverage{' '}
                {r.scores.coverage.toFixed(2)})
              </option>
            ))}
          </select>
        </label>
      )}
      <div className="row">
        <fieldset className="segmented" aria-label="Images to process">
          {(['all', 'unprocessed', 'selected'] as Which[]).map((w) => (
            <button
              key={w}
              type="button"
              aria-pressed={which === w}
              className={which === w ? 'on' : ''}
              onClick={() => setWhich(w)}
            >
              {w}
            </button>
          ))}
        </fieldset>
        <button
          type="button"
          className="primary"
          data-testid="run"
          disabled={!chosen.length}
          onClick={() => void run()}
        >
          Run {MODE_NAMES[mode]} on {chosen.length} image(s)
        </button>
        <button type="button" onClick={() => void exportZip()}>
          Download {MODE_NAMES[mode]} export (COCO zip)
        </button>
      </div>
      {nothingToFind > 0 && (
        <p className="warning" role="status" data-testid="nothing-to-find">
          {nothingToFind} of the {chosen.length} selected image(s) have neither a text prompt nor a positive
          exemplar: find-all has nothing to look for there, and they will fail. Give them a prompt in the
          annotator first.
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <JobProgress
        job={job}
        label={`Processing ${MODE_NAMES[mode]}`}
        itemName={(item) => byId.get(Number(item))?.fileName ?? `image ${item}`}
      />
      <JobProgress job={exportJob} label="Export" />
      <HeadsPanel projectId={projectId} />
      <ul className="grid" data-testid="results">
        {items.map((im) => (
          <li
            key={im.id}
            className="tile"
            data-testid="result-tile"
            data-image-id={im.id}
            data-status={im.status[mode]}
          >
            <MaskThumb
              image={im}
              mode={mode}
              labels={project.data?.labels ?? []}
              version={`${im.annotations[mode]}-${im.status[mode]}`}
            />
            <div className="tile-meta">
              <label>
                <input
                  type="checkbox"
                  checked={selected.has(im.id)}
                  onChange={(e) => {
                    const next = new Set(selected);
                    if (e.target.checked) next.add(im.id);
                    else next.delete(im.id);
                    setSelected(next);
                    setWhich('selected');
                  }}
                />{' '}
                <span className="file-name">{im.fileName}</span>
              </label>
              <StatusBadge name="inside-box" status={im.status.inside_box} reason={im.errors.inside_box} />
              <StatusBadge name="find-all" status={im.status.find_all} reason={im.errors.find_all} />
              {im.errors[mode] && (
                <span className="tile-error" data-testid="tile-error">
                  {im.errors[mode]}
                </span>
              )}
              <span>
                <Link href={`/projects/${projectId}/images/${im.id}`}>annotate</Link>
                {im.status[mode] === 'done' && (
                  <>
                    {' · '}
                    <a
                      href={`/api/v1/images/${im.id}/results/${mode}/coco`}
                      download={`${im.fileName}-${mode}.json`}
                    >
                      COCO JSON
                    </a>
                  </>
                )}
              </span>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
