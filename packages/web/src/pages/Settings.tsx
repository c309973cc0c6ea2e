// A project's settings: the models it works with (each one's download state, and the command that gets it when it is
// missing) and its labels with their colours.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, type ModelRole, type ModelStateT, type ProjectT } from '../api.js';
import { ErrorAlert, PageError } from '../components/Errors.js';
import { NewLabelForm } from '../components/NewLabelForm.js';
import { backendChoice, setBackendChoice } from '../decoder/browser-decoder.js';
import type { BackendChoice } from '../decoder/protocol.js';
import { forgetDecoder, forgetDecoders } from '../editor/browser-deps.js';
import { nextLabelColour } from '../util.js';

const ROLES: [ModelRole, string, string][] = [
  ['segment', 'Segmentation', 'clicks, boxes, inside-box processing, analytics masks'],
  ['text', 'Text prompts', 'find-all’s text, text masks'],
  ['embed', 'Embeddings', 'find-all’s exemplars, auto-class, heads, analytics'],
  [
    'find',
    'Find-all (SAM 3)',
    'every instance of a text and ± exemplar boxes; empty: the CLIPSeg + SAM + CLIP pipeline',
  ],
];
const FROM: Record<ModelStateT['from'], string> = {
  project: 'set for this project',
  server: 'the server’s default (segkit serve flag)',
  default: 'SegKit’s default',
};

export function Settings({ projectId }: { projectId: number }) {
  const project = useQuery({ queryKey: ['project', projectId], queryFn: () => api.project(projectId) });
  if (project.error) return <PageError error={project.error} projectId={projectId} />;
  if (!project.data) return <p className="muted">Loading settings…</p>;
  return (
    <section className="settings">
      <div className="toolbar">
        <h1>Project settings</h1>
      </div>
      <Models project={project.data} />
      <Labels project={project.data} />
      <ThisBrowser />
    </section>
  );
}

function Models({ project }: { project: ProjectT }) {
  const client = useQueryClient();
  const models = useQuery({
    queryKey: ['project-models', project.id],
    queryFn: () => api.projectModels(project.id),
  });
  const [error, setError] = useState<unknown>(null);
  const save = async (role: ModelRole, ref: string) => {
    setError(null);
    const own = { ...(project.settings.models ?? {}) };
    if (ref.trim()) own[role] = ref.trim();
    else delete own[role];
    try {
      await api.updateProject(project.id, { settings: { ...project.settings, models: own } });
      // The annotator loads the new model's decoder on its next visit.
      if (role === 'segment') forgetDecoder(project.id);
      await client.invalidateQueries({ queryKey: ['project', project.id] });
      await client.invalidateQueries({ queryKey: ['project-models', project.id] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className="panel" aria-labelledby="models-heading">
      <h2 id="models-heading">Models</h2>
      {models.error ? <PageError error={models.error} /> : null}
      <table className="models">
        <tbody>
          {ROLES.map(([role, name, use]) => (
            <ModelRow
              key={role}
              role={role}
              name={name}
              use={use}
              own={project.settings.models?.[role] ?? ''}
              state={models.data?.[role]}
              onSave={(ref) => void save(role, ref)}
            />
          ))}
        </tbody>
      </table>
      <ErrorAlert error={error} />
      <Sam3Models />
    </section>
  );
}

/** The SAM 3 presets and their download state: what can go in the find-all row (and the tracker in segmentation). */
function Sam3Models() {
  const list = useQuery({ queryKey: ['models'], queryFn: () => api.models() });
  const sam3 = (list.data ?? []).filter((m) => m.name.startsWith('sam3'));
  if (!sam3.length) return null;
  return (
    <div className="sam3-models" data-testid="sam3-models">
      <h3>SAM 3 models</h3>
      <p className="muted small">
        Concept models go in the find-all row; <code>sam3-tracker</code> answers clicks and boxes in the
        segmentation row. SAM 3 weights are under Meta’s SAM License; SegKit downloads them only when you pull
        them.
      </p>
      <ul>
        {sam3.map((m) => (
          <li key={m.name} data-testid={`sam3-model-${m.name}`} data-status={m.status}>
            <code>{m.name}</code>{' '}
            <span className={`badge badge-${m.status === 'ready' ? 'done' : 'failed'}`}>
              {m.status === 'ready' ? '✓ ready' : `✗ ${m.status}`}
            </span>{' '}
            <span className="muted small">{m.description}</span>
            {m.status !== 'ready' && (
              <>
                {' '}
                <span className="small">
                  Run <code>segkit models pull {m.name}</code> ({(m.bytes / 1e9).toFixed(1)} GB)
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ModelRow(props: {
  role: ModelRole;
  name: string;
  use: string;
  own: string;
  state: ModelStateT | undefined;
  onSave: (ref: string) => void;
}) {
  const { role, name, use, own, state } = props;
  const [ref, setRef] = useState(own);
  useEffect(() => setRef(own), [own]);
  return (
    <tr data-testid={`model-${role}`} data-status={state?.status ?? 'loading'}>
      <th scope="row">
        {name}
        <br />
        <span className="muted small">{use}</span>
      </th>
      <td>
        {state?.pipeline ? (
          <span data-testid="find-pipeline">
            the CLIPSeg + SAM + CLIP pipeline <span className="muted small">(no SAM 3 model set)</span>
          </span>
        ) : (
          <>
            <code className="model-ref">{state?.ref ?? '…'}</code> {state && <ModelBadge state={state} />}
          </>
        )}
        <br />
        <span className="muted small">{state ? FROM[state.from] : ''}</span>
        {state?.classic && state.pull && (
          <p className="small">
            No SAM is downloaded, so clicks use the offline classic backend (best with a box). For click
            quality run <code>{state.pull}</code>
          </p>
        )}
        {state && !state.classic && state.pull && (
          <p className="small" data-testid={`pull-${role}`}>
            Not downloaded. Run <code>{state.pull}</code> on the server, then reload.
          </p>
        )}
        {state?.error && <p className="error small">{state.error}</p>}
      </td>
      <td>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            props.onSave(ref);
          }}
        >
          <input
            aria-label={`${name} model for this project`}
            value={ref}
            maxLength={300}
            placeholder="server default"
            onChange={(e) => setRef(e.target.value)}
          />
          <button type="submit" disabled={ref === own}>
            Save
          </button>
        </form>
      </td>
    </tr>
  );
}

export function ModelBadge({ state }: { state: ModelStateT }) {
  const [icon, word] =
    state.status === 'ready' ? ['✓', state.classic ? 'classic backend' : 'ready'] : ['✗', state.status];
  return (
    <>
      <span className={`badge badge-${state.status === 'ready' ? 'done' : 'failed'}`}>
        {icon} {word}
      </span>
      {state.test && (
        <span
          className="badge badge-test"
          title="A test fixture: its masks follow a simple rule, not a real model"
        >
          test model
        </span>
      )}
    </>
  );
}

function Labels({ project }: { project: ProjectT }) {
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const save = async (labels: ProjectT['labels']) => {
    setError(null);
    try {
      await api.updateProject(project.id, { labels });
      await client.invalidateQueries({ queryKey: ['project', project.id] });
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  const labels = project.labels;
  const add = async (n: string) => {
    if (labels.some((l) => l.name === n)) {
      setError(new Error(`There is already a label “${n}”`));
      return false;
    }
    return save([...labels, { name: n, colour: nextLabelColour(labels) }]);
  };
  return (
    <section className="panel" aria-labelledby="labels-heading">
      <h2 id="labels-heading">Labels</h2>
      <p className="muted small">Keys 1–9 choose a label in the annotator, in this order.</p>
      <ol className="label-settings" data-testid="label-settings">
        {labels.map((l, i) => (
          <li key={l.name}>
            <input
              type="color"
              aria-label={`Colour of ${l.name}`}
              value={/^#[0-9a-f]{6}$/i.test(l.colour) ? l.colour : '#888888'}
              onChange={(e) =>
                void save(labels.map((x, k) => (k === i ? { ...x, colour: e.target.value } : x)))
              }
            />
            <kbd>{i + 1}</kbd> <span className="label-name">{l.name}</span>
            <button
              type="button"
              aria-label={`Remove label ${l.name}`}
              onClick={() => void save(labels.filter((_, k) => k !== i))}
            >
              Remove
            </button>
          </li>
        ))}
      </ol>
      <NewLabelForm onAdd={add} button="Add label" />
      <ErrorAlert error={error} />
    </section>
  );
}

/** Settings of this browser only (kept in localStorage): where the annotator's decoder runs. */
function ThisBrowser() {
  const [choice, setChoice] = useState<BackendChoice>(backendChoice());
  return (
    <section className="panel" aria-labelledby="browser-heading">
      <h2 id="browser-heading">This browser</h2>
      <div className="field-row">
        <label htmlFor="decoder-backend">Browser decoder</label>
        <select
          id="decoder-backend"
          data-testid="decoder-backend"
          value={choice}
          onChange={(e) => {
            const next = e.target.value as BackendChoice;
            setBackendChoice(next);
            forgetDecoders(); // the next image opened loads the decoder on the new backend
            setChoice(next);
          }}
        >
          <option value="auto">Automatic: WebGPU on a graphics card, else WebAssembly</option>
          <option value="webgpu">WebGPU, even on a software adapter</option>
          <option value="wasm">WebAssembly</option>
        </select>
      </div>
      <p className="small muted">
        Kept in this browser only. The annotator's rail says where the decoder runs and why.
      </p>
    </section>
  );
}
