// A project's find-all recipes: mine them from the project's labelled masks (classes, validation share, mode, target
// precision, extra prompts, a head) and watch the job; the per-class report; the recipes with their figures, each
// exported as a ZIP or deleted; importing a recipe ZIP.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, type ProjectT, type RecipeSummaryT, recipeZipUrl } from '../api.js';
import { ErrorAlert, PageError } from '../components/Errors.js';
import { JobProgress, useJob } from '../components/JobProgress.js';
import { Link } from '../components/Link.js';

const f2 = (v: number) => v.toFixed(2);

interface ClassFigures {
  coverage: number;
  precision: number;
  falsePositives: number;
  duplicates: number;
  detectionRate: number;
  ap: number;
  prompts: string[];
  baseline: { precision: number; coverage: number };
  notes: string[];
}

export function Recipes({ projectId }: { projectId: number }) {
  const project = useQuery({ queryKey: ['project', projectId], queryFn: () => api.project(projectId) });
  const recipes = useQuery({ queryKey: ['recipes', projectId], queryFn: () => api.recipes(projectId) });
  if (project.error) return <PageError error={project.error} projectId={projectId} />;
  if (!project.data) return <p className="muted">Loading recipes…</p>;
  return (
    <section className="recipes-page">
      <div className="toolbar">
        <h1>Recipes</h1>
      </div>
      <p className="muted">
        A recipe finds one class the way your labelled images say it looks: the prompts that find it, the
        look-alikes to drop, the thresholds, and the precision and coverage reached on held-out images. Apply
        recipes in the annotator’s find-all mode, or to a batch on the Processing page.
      </p>
      <MineForm project={project.data} />
      <RecipeTable projectId={projectId} recipes={recipes.data?.recipes ?? []} loading={recipes.isLoading} />
    </section>
  );
}

/** "red square: red, orange" lines → {"red square": ["red", "orange"]}. */
function parsePrompts(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at < 1) continue;
    const name = line.slice(0, at).trim();
    const list = line
      .slice(at + 1)
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (name && list.length) out[name] = [...(out[name] ?? []), ...list];
  }
  return out;
}

function MineForm({ project }: { project: ProjectT }) {
  const client = useQueryClient();
  const heads = useQuery({ queryKey: ['heads', project.id], queryFn: () => api.heads(project.id) });
  const names = project.labels.map((l) => l.name);
  const [classes, setClasses] = useState<string[]>(names);
  const labelKey = names.join('\n');
  useEffect(() => setClasses(labelKey ? labelKey.split('\n') : []), [labelKey]);
  const [val, setVal] = useState('0.2');
  const [mode, setMode] = useState<'greedy' | 'steps'>('greedy');
  const [target, setTarget] = useState('0.9');
  const [prompts, setPrompts] = useState('');
  const [head, setHead] = useState('');
  const [jobId, setJobId] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const job = useJob(
    jobId,
    undefined,
    () => void client.invalidateQueries({ queryKey: ['recipes', project.id] }),
  );
  const report = (job?.result as { report?: { classes: Record<string, ClassFigures> } } | null)?.report;
  const mine = async () => {
    setError(null);
    try {
      const extra = parsePrompts(prompts);
      const j = await api.mineRecipes(project.id, {
        ...(classes.length && classes.length < names.length ? { classes } : {}),
        val: Number(val),
        mode,
        targetPrecision: Number(target),
        ...(Object.keys(extra).length ? { prompts: extra } : {}),
        ...(head ? { head } : {}),
      });
      setJobId(j.id);
    } catch (e) {
      setError(e);
    }
  };
  const running = job?.state === 'queued' || job?.state === 'running';
  return (
    <section className="panel" aria-label="Mine recipes">
      <h2>Mine recipes</h2>
      {!names.length && (
        <p className="muted">
          This project has no labels yet: add them in{' '}
          <Link href={`/projects/${project.id}/settings`}>Settings</Link>, then label masks in the annotator.
        </p>
      )}
      <form
        className="mine-form"
        onSubmit={(e) => {
          e.preventDefault();
          void mine();
        }}
      >
        <fieldset>
          <legend>Classes</legend>
          {names.map((n) => (
            <label key={n}>
              <input
                type="checkbox"
                checked={classes.includes(n)}
                data-testid={`mine-class-${n}`}
                onChange={(e) => setClasses((c) => (e.target.checked ? [...c, n] : c.filter((x) => x !== n)))}
              />{' '}
              {n}
            </label>
          ))}
        </fieldset>
        <label>
          Validation share
          <input
            type="number"
            min={0.05}
            max={0.9}
            step={0.05}
            value={val}
            onChange={(e) => setVal(e.target.value)}
          />
        </label>
        <label>
          Mode
          <select
            value={mode}
            onChange={(e) => setMode(e.target.value as 'greedy' | 'steps')}
            data-testid="mine-mode"
          >
            <option value="greedy">greedy: the prompts that add matches</option>
            <option value="steps">steps: text seeds, then visual expansion</option>
          </select>
        </label>
        <label>
          Target precision
          <input
            type="number"
            min={0.05}
            max={1}
            step={0.05}
            value={target}
            onChange={(e) => setTarget(e.target.value)}
          />
        </label>
        <label className="wide">
          Extra prompts, one class a line (the class name is always tried)
          <textarea
            rows={3}
            value={prompts}
            data-testid="mine-prompts"
            placeholder={`${names[0] ?? 'class'}: another name, a colour`}
            onChange={(e) => setPrompts(e.target.value)}
          />
        </label>
        <label>
          Filter
          <select value={head} onChange={(e) => setHead(e.target.value)}>
            <option value="">crop bank (CLIP similarity to example crops)</option>
            {heads.data?.heads.map((h) => (
              <option key={h.name} value={h.name}>
                head {h.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" data-testid="mine" disabled={running || !classes.length}>
          {running ? 'Mining…' : 'Mine recipes'}
        </button>
      </form>
      <ErrorAlert error={error} />
      <JobProgress job={job} label="Mining" />
      {running && job?.message && (
        <p className="muted" data-testid="mine-stage">
          {job.message}
        </p>
      )}
      {report && <Report classes={report.classes} />}
    </section>
  );
}

function Report({ classes }: { classes: Record<string, ClassFigures> }) {
  return (
    <div data-testid="mine-report">
      <h3>On the validation images</h3>
      <table className="table">
        <thead>
          <tr>
            <th>Class</th>
            <th>Coverage</th>
            <th>Precision</th>
            <th>False pos.</th>
            <th>Duplicates</th>
            <th>Det. rate</th>
            <th>AP</th>
            <th title="The class name alone, no filter">Baseline P / C</th>
            <th>Prompts</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(classes).map(([name, c]) => (
            <tr key={name} data-testid={`report-${name}`}>
              <td>{name}</td>
              <td>{f2(c.coverage)}</td>
              <td>{f2(c.precision)}</td>
              <td>{c.falsePositives}</td>
              <td>{c.duplicates}</td>
              <td>{f2(c.detectionRate)}</td>
              <td>{f2(c.ap)}</td>
              <td>
                {f2(c.baseline.precision)} / {f2(c.baseline.coverage)}
              </td>
              <td>{c.prompts.join(' · ') || '(none)'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {Object.entries(classes).flatMap(([name, c]) =>
        c.notes.map((n) => (
          <p key={`${name}${n}`} className="notice">
            {name}: {n}
          </p>
        )),
      )}
    </div>
  );
}

function RecipeTable({
  projectId,
  recipes,
  loading,
}: {
  projectId: number;
  recipes: RecipeSummaryT[];
  loading: boolean;
}) {
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: ['recipes', projectId] });
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      refresh();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className="panel" aria-label="Recipes of this project">
      <h2>This project’s recipes</h2>
      {loading && <p className="muted">Loading…</p>}
      {!loading && !recipes.length && (
        <p className="muted">None yet: mine some above, or import a recipe ZIP.</p>
      )}
      {recipes.length > 0 && (
        <table className="table" data-testid="recipes">
          <thead>
            <tr>
              <th>Recipe</th>
              <th>Mode</th>
              <th>Prompts</th>
              <th>Filter</th>
              <th>Coverage</th>
              <th>Precision</th>
              <th>AP</th>
              <th>Models</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {recipes.map((r) => (
              <tr key={r.id} data-testid={`recipe-${r.name}`}>
                <td>
                  {r.name}
                  {r.className !== r.name && <small className="muted"> ({r.className})</small>}
                </td>
                <td>{r.mode}</td>
                <td>{r.prompts.join(' · ')}</td>
                <td>{r.filter ?? 'none'}</td>
                <td>{f2(r.scores.coverage)}</td>
                <td>{f2(r.scores.precision)}</td>
                <td>{f2(r.scores.ap)}</td>
                <td className="muted">
                  {r.backend === 'sam3' ? 'SAM 3' : 'CLIPSeg + SAM'} · {r.embedModel}
                </td>
                <td className="row">
                  <a href={recipeZipUrl(r.id)} download={`${r.name}.zip`}>
                    Export
                  </a>
                  <button
                    type="button"
                    onClick={() => {
                      if (confirm(`Delete recipe “${r.name}”? The annotations it made stay.`))
                        void act(() => api.deleteRecipe(r.id));
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <label className="upload-recipe">
        Import a recipe ZIP{' '}
        <input
          type="file"
          accept=".zip,application/zip"
          data-testid="import-recipe"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void act(() => api.importRecipe(projectId, file));
          }}
        />
      </label>
      <ErrorAlert error={error} />
    </section>
  );
}
