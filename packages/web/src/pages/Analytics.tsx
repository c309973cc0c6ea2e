// The mask-analytics panel: start an analyze job or open the newest run; a UMAP scatter coloured by HDBSCAN cluster;
// hover shows the mask, click opens it over its image, a lasso labels every selected mask; a gallery per cluster.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { analyticsMask, analyticsZipUrl, api, fileUrl, type ModelRole, type ModelStateT } from '../api.js';
import { PageError } from '../components/Errors.js';
import { JobProgress, useJob } from '../components/JobProgress.js';
import { Link } from '../components/Link.js';
import { MaskCrop } from '../components/MaskCrop.js';
import { clusterColour, Scatter } from '../components/Scatter.js';
import type { Point } from '../editor/geometry.js';
import { maskOfRle, paintMask } from '../render/masks.js';
import { errorText } from '../util.js';

function MaskOverImage({ projectId, id }: { projectId: number; id: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const mask = useQuery({
    queryKey: ['analytics-mask', projectId, id],
    queryFn: () => analyticsMask(projectId, id),
  });
  useEffect(() => {
    const m = mask.data;
    if (!m?.imageId) return;
    const img = new Image();
    img.onload = () => {
      const c = ref.current;
      if (!c) return;
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, c.width, c.height);
      paintMask(data.data, maskOfRle(m.rle), [255, 43, 214], { fill: 140, outline: 255, dashed: false });
      ctx.putImageData(data, 0, 0);
    };
    img.src = fileUrl(m.imageId);
  }, [mask.data]);
  if (mask.error) return <PageError error={mask.error} projectId={projectId} />;
  return <canvas ref={ref} className="mask-view" data-testid="mask-view" data-mask-id={id} />;
}

export function Analytics({ projectId }: { projectId: number }) {
  const client = useQueryClient();
  const project = useQuery({ queryKey: ['project', projectId], queryFn: () => api.project(projectId) });
  const run = useQuery({ queryKey: ['analytics', projectId], queryFn: () => api.analytics(projectId) });
  const models = useQuery({
    queryKey: ['project-models', projectId],
    queryFn: () => api.projectModels(projectId),
  });
  const [jobId, setJobId] = useState<number | null>(null);
  const job = useJob(
    jobId,
    undefined,
    () => void client.invalidateQueries({ queryKey: ['analytics', projectId] }),
  );
  const [hover, setHover] = useState<{ i: number; at: Point } | null>(null);
  const [picked, setPicked] = useState<number | null>(null);
  const [selection, setSelection] = useState<Set<number>>(new Set());
  const [lasso, setLasso] = useState(false);
  const [label, setLabel] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [firstDraw, setFirstDraw] = useState<number | null>(null);

  const points = run.data?.points ?? [];
  const clusters = useMemo(() => {
    const m = new Map<number, number[]>();
    points.forEach((p, i) => {
      const g = m.get(p.cluster);
      if (g) g.push(i);
      else m.set(p.cluster, [i]);
    });
    return [...m].sort((a, b) => b[1].length - a[1].length);
  }, [points]);

  const start = async () => {
    setNote(null);
    try {
      setJobId((await api.analyze(projectId)).id);
    } catch (e) {
      setNote(errorText(e));
    }
  };
  const apply = async () => {
    const name = label.trim();
    if (!name || !selection.size) return;
    try {
      const r = await api.labelMasks(
        projectId,
        [...selection].map((i) => points[i]!.id),
        name,
      );
      setNote(
        `${r.labelled} mask${r.labelled === 1 ? '' : 's'} labelled “${name}”: ${r.created} new annotation${r.created === 1 ? '' : 's'}, ${r.relabelled} existing one${r.relabelled === 1 ? '' : 's'} relabelled (the same mask was already annotated).`,
      );
      setSelection(new Set());
      await client.invalidateQueries({ queryKey: ['analytics', projectId] });
    } catch (e) {
      setNote(errorText(e));
    }
  };

  if (run.error) return <PageError error={run.error} projectId={projectId} />;
  const needs = analysisNeeds(models.data);
  const running = job !== null && (job.state === 'queued' || job.state === 'running');
  const h = hover ? points[hover.i] : undefined;
  const p = picked !== null ? points[picked] : undefined;
  return (
    <section className="analytics">
      <div className="toolbar">
        <h1>Mask analytics</h1>
        <span className="muted">
          {run.data?.run
            ? `${run.data.run.name}: ${run.data.run.masks} masks, ${run.data.run.clusters} clusters`
            : 'No run yet'}
          {firstDraw !== null && ` · first draw ${firstDraw.toFixed(0)} ms`}
        </span>
        <div className="spacer" />
        <button
          type="button"
          className="primary"
          data-testid="analyze"
          disabled={running || needs.length > 0 || !models.data}
          title={needs.length ? needs.join(' ') : undefined}
          onClick={() => void start()}
        >
          {running ? 'Analyzing…' : run.data?.run ? 'Run analyze again' : 'Run analyze'}
        </button>
      </div>
      {needs.length > 0 && (
        <div className="warning" role="status" data-testid="analyze-needs">
          <strong>Analysis needs models this project does not have yet.</strong>
          <ul>
            {needs.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
          Set them in <Link href={`/projects/${projectId}/settings`}>Settings</Link>, or run the commands on
          the server.
        </div>
      )}
      {run.data && !run.data.run && !running && (
        <div className="note" data-testid="analytics-empty">
          <p>
            <strong>What analysis does:</strong> it cuts every image into masks with the segmentation model,
            embeds each mask’s crop with CLIP, lays the masks out in two dimensions (UMAP) so that similar
            ones sit together, and groups them into clusters (HDBSCAN).
          </p>
          <p>
            Then you can hover a point to see its crop, click it to see it on its image, and lasso a group to
            give all its masks one label at once. Run it with <strong>Run analyze</strong>; it takes a few
            seconds per image.
          </p>
        </div>
      )}
      <JobProgress job={job} label="Analyze" />
      {note && (
        <p className="note" role="status">
          {note}
        </p>
      )}
      {points.length > 0 && (
        <div className="analytics-body">
          <div className="scatter-wrap">
            <Scatter
              points={points}
              selected={selection}
              lasso={lasso}
              onHover={(i, at) => setHover(i === null ? null : { i, at })}
              onPick={setPicked}
              onLasso={(idx) => setSelection(new Set(idx))}
              onFirstDraw={setFirstDraw}
            />
            {h?.imageId && hover && (
              <div
                className="tooltip"
                style={{ left: hover.at[0] + 12, top: hover.at[1] + 12 }}
                data-testid="hover"
              >
                <MaskCrop imageId={h.imageId} bbox={h.bbox} size={96} />
                <div>
                  {h.id} · cluster {h.cluster < 0 ? 'noise' : h.cluster}
                  {h.label && (
                    <>
                      {' '}
                      · <span className="label-name">{h.label}</span>
                    </>
                  )}
                </div>
              </div>
            )}
          </div>
          <aside className="rail">
            <section className="panel" aria-label="Legend" data-testid="legend">
              <h3>Legend</h3>
              <p className="small muted">
                <span className="legend-square" /> unlabelled mask · <span className="legend-ring" />{' '}
                labelled. The colour is the cluster's, not the objects': each cluster shows three of its
                masks.
              </p>
              <ul className="legend">
                {clusters.map(([c, idx]) => (
                  <li key={c} data-testid="legend-cluster">
                    <span className="swatch" style={{ background: clusterColour(c) }} />
                    <span className="legend-name">{c < 0 ? 'noise' : `cluster ${c}`}</span>
                    {idx.slice(0, 3).map((i) => {
                      const pt = points[i]!;
                      return pt.imageId ? (
                        <MaskCrop key={pt.id} imageId={pt.imageId} bbox={pt.bbox} size={28} />
                      ) : null;
                    })}
                  </li>
                ))}
              </ul>
            </section>
            <section className="panel">
              <h3>Selection</h3>
              <button
                type="button"
                aria-pressed={lasso}
                className={lasso ? 'on' : ''}
                onClick={() => setLasso(!lasso)}
                data-testid="lasso"
              >
                Lasso {lasso ? 'on' : 'off'} (or Shift-drag)
              </button>
              <p data-testid="selection-count">{selection.size} selected</p>
              <form
                className="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  void apply();
                }}
              >
                <input
                  list="project-labels"
                  aria-label="Label for the selection"
                  data-testid="lasso-label"
                  value={label}
                  maxLength={64}
                  onChange={(e) => setLabel(e.target.value)}
                  placeholder="label"
                />
                <datalist id="project-labels">
                  {project.data?.labels.map((l) => (
                    <option key={l.name} value={l.name} />
                  ))}
                </datalist>
                <button type="submit" disabled={!selection.size || !label.trim()} data-testid="apply-label">
                  Label {selection.size}
                </button>
              </form>
            </section>
            {p && (
              <section className="panel" aria-label="Mask">
                <h3>Mask {p.id}</h3>
                <MaskOverImage projectId={projectId} id={p.id} />
                <p>
                  cluster {p.cluster < 0 ? 'noise' : p.cluster} · area {p.area}
                  {p.label && (
                    <>
                      {' '}
                      · label <span className="label-name">{p.label}</span>
                    </>
                  )}
                </p>
                {p.imageId && (
                  <p className="row">
                    <Link href={`/projects/${projectId}/images/${p.imageId}`} data-testid="open-annotator">
                      Open in annotator
                    </Link>
                    <a href={analyticsZipUrl(projectId, p.imageId)} download>
                      This image’s masks (zip)
                    </a>
                  </p>
                )}
              </section>
            )}
          </aside>
        </div>
      )}
      <section aria-label="Clusters">
        {clusters.length > 0 && <h2>Clusters</h2>}
        {clusters.map(([c, idx]) => (
          <div key={c} className="cluster" data-testid="cluster">
            <h3>
              <span className="swatch" style={{ background: clusterColour(c) }} />{' '}
              {c < 0 ? 'noise' : `cluster ${c}`} · {idx.length} masks{' '}
              <button type="button" onClick={() => setSelection(new Set(idx))}>
                select all
              </button>
            </h3>
            <div className="crops">
              {idx.slice(0, 12).map((i) => {
                const pt = points[i]!;
                return pt.imageId ? (
                  <button type="button" key={pt.id} onClick={() => setPicked(i)} aria-label={`mask ${pt.id}`}>
                    <MaskCrop imageId={pt.imageId} bbox={pt.bbox} />
                  </button>
                ) : null;
              })}
            </div>
          </div>
        ))}
      </section>
    </section>
  );
}

/** What the analysis lacks, one sentence each: a SAM model (not the classic backend) and a CLIP model, downloaded. */
export function analysisNeeds(models: Record<ModelRole, ModelStateT> | undefined): string[] {
  if (!models) return [];
  const out: string[] = [];
  const { segment, embed } = models;
  if (segment.classic)
    out.push(
      `Masks need a SAM model, not the classic backend${segment.pull ? `: run ${segment.pull}` : ': choose one in Settings'}.`,
    );
  else if (segment.status !== 'ready')
    out.push(
      `The segmentation model ${segment.ref} is not downloaded${segment.pull ? `: run ${segment.pull}` : ''}.`,
    );
  if (embed.status !== 'ready')
    out.push(`Embeddings need the CLIP model ${embed.ref}${embed.pull ? `: run ${embed.pull}` : ''}.`);
  return out;
}
