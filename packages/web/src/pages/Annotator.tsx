// The annotator: the stage, the tools, the mode's annotations, candidates, find-all, assists, and save state.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { ApiError, api, type DecoderInfoT, fileUrl, type ModeT } from '../api.js';
import { CandidatePicker } from '../components/CandidatePicker.js';
import { NotFound, PageError } from '../components/Errors.js';
import { HelpOverlay } from '../components/HelpOverlay.js';
import { Link } from '../components/Link.js';
import { NewLabelForm } from '../components/NewLabelForm.js';
import { Stage } from '../components/Stage.js';
import * as E from '../editor/store.js';
import { editor, type Tool } from '../editor/store.js';
import { MODE_NAMES, modeStore, navigate, setMode } from '../router.js';
import { colourOf, errorText, nextLabelColour } from '../util.js';

const TOOLS: [Tool, string, string][] = [
  ['point', 'Point', 'P'],
  ['box', 'Box', 'B'],
  ['exemplar', 'Exemplar', 'E'],
  ['point-to-box', 'Point → box', 'T'],
  ['edit', 'Edit outline', 'V'],
];

export function Annotator({ projectId, imageId }: { projectId: number; imageId: number }) {
  const mode = useStore(modeStore, (s) => s.mode);
  const s = useStore(editor);
  const client = useQueryClient();
  const project = useQuery({ queryKey: ['project', projectId], queryFn: () => api.project(projectId) });
  const images = useQuery({ queryKey: ['images', projectId], queryFn: () => api.images(projectId) });
  // The prompt kinds the project's model takes: a tool it would refuse is disabled, with the reason on hover.
  const refused = toolRefusals(s.decoderInfo);
  // Opening the image failed: a link to one that does not exist is a not-found page, not a hang.
  const [openError, setOpenError] = useState<unknown>(null);
  const models = useQuery({
    queryKey: ['project-models', projectId],
    queryFn: () => api.projectModels(projectId),
  });
  const [img, setImg] = useState<HTMLImageElement | null>(null);
  const [imgError, setImgError] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const [text, setText] = useState('');
  const lastX = useRef(0);

  const list = images.data?.items ?? [];
  const at = list.findIndex((i) => i.id === imageId);
  const next = at >= 0 ? list[at + 1] : undefined;
  const prev = at > 0 ? list[at - 1] : undefined;
  const labels = project.data?.labels ?? [];

  useEffect(() => {
    const el = new Image();
    setImgError(null);
    el.onload = () => setImg(el);
    el.onerror = () => setImgError('The image file could not be loaded.');
    el.alt = `image ${imageId}`;
    el.src = fileUrl(imageId);
    return () => {
      el.onload = null;
      el.onerror = null;
    };
  }, [imageId]);

  useEffect(() => {
    setOpenError(null);
    E.openImage(projectId, imageId, mode, next?.id).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) setOpenError(e);
      else editor.setState({ error: errorText(e) });
    });
  }, [projectId, imageId, mode, next?.id]);

  useEffect(() => setText(s.image?.textPrompt ?? ''), [s.image?.textPrompt]);

  // Gallery counts change as annotations are saved.
  useEffect(() => {
    if (s.pending === 0) void client.invalidateQueries({ queryKey: ['images', projectId] });
  }, [s.pending, client, projectId]);

  const go = (id: number | undefined) => id && navigate(`/projects/${projectId}/images/${id}`);
  const setTool = (tool: Tool) => {
    const why = refused[tool];
    if (why) return editor.setState({ error: why });
    editor.setState({ tool });
  };
  const labelBy = (n: number) => {
    const l = labels[n - 1];
    if (!l) return;
    editor.setState({ label: l.name });
    if (s.selected) E.update(s.selected, { label: l.name });
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement)
        return;
      const k = e.key;
      const ctrl = e.ctrlKey || e.metaKey;
      if (ctrl && (k === 'z' || k === 'Z')) {
        e.preventDefault();
        if (e.shiftKey) E.redoNext();
        else E.undoLast();
        return;
      }
      if (ctrl && k === 'y') {
        e.preventDefault();
        E.redoNext();
        return;
      }
      if (ctrl) return;
      const st = editor.getState();
      if (e.altKey && /^Digit[1-9]$/.test(e.code)) {
        e.preventDefault();
        labelBy(Number(e.code.slice(5)));
        return;
      }
      if (/^[123]$/.test(k) && st.candidates) return E.choose(Number(k) - 1);
      if (/^[1-9]$/.test(k)) return labelBy(Number(k));
      const tools: Record<string, Tool> = {
        p: 'point',
        b: 'box',
        e: 'exemplar',
        t: 'point-to-box',
        v: 'edit',
      };
      if (tools[k]) return setTool(tools[k]);
      if (k === 'g')
        return editor.setState({
          exemplarPolarity: st.exemplarPolarity === 'positive' ? 'negative' : 'positive',
        });
      if (k === 'Enter' || k === 'n') return E.finish();
      if (k === 'Escape') {
        E.finish();
        return editor.setState({ selected: null, ranked: null });
      }
      if ((k === 'Delete' || k === 'Backspace') && st.selected) return E.remove(st.selected);
      if (k === 'x' && st.selected) {
        const double = performance.now() - lastX.current < 400;
        lastX.current = double ? 0 : performance.now();
        return void E.refine(st.selected, double);
      }
      if (k === 'c' && st.selected) return void E.autoClass(st.selected);
      if (k === 'a' && st.selected && st.ranked?.[0]) {
        E.update(st.selected, { label: st.ranked[0].label });
        return editor.setState({ ranked: null });
      }
      if (k === 'm') return setMode(st.mode === 'inside_box' ? 'find_all' : 'inside_box');
      if (k === 'ArrowRight' || k === 'PageDown') return go(next?.id);
      if (k === 'ArrowLeft' || k === 'PageUp') return go(prev?.id);
      if (k === '?') return setHelp((h) => !h);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const addLabel = async (name: string) => {
    if (!project.data) return false;
    if (labels.some((l) => l.name === name)) {
      editor.setState({ label: name });
      return true;
    }
    try {
      await api.updateProject(projectId, { labels: [...labels, { name, colour: nextLabelColour(labels) }] });
      editor.setState({ label: name });
      await client.invalidateQueries({ queryKey: ['project', projectId] });
      return true;
    } catch (e) {
      editor.setState({ error: errorText(e) });
      return false;
    }
  };

  if (project.error) return <PageError error={project.error} projectId={projectId} />;
  if (openError) return <PageError error={openError} projectId={projectId} />;
  if (s.image && s.image.projectId !== projectId) return <NotFound what="image" projectId={projectId} />;
  const visible = s.annotations;
  return (
    <div className="annotator">
      <div className="tools" role="toolbar" aria-label="Tools">
        {TOOLS.map(([tool, name, key]) => (
          <button
            key={tool}
            type="button"
            aria-pressed={s.tool === tool}
            className={s.tool === tool ? 'on' : ''}
            onClick={() => setTool(tool)}
            title={refused[tool] ?? `${name} (${key})`}
            data-testid={`tool-${tool}`}
            disabled={(tool === 'exemplar' && mode !== 'find_all') || refused[tool] !== undefined}
          >
            {name} <kbd>{key}</kbd>
          </button>
        ))}
        <hr />
        <button type="button" onClick={E.undoLast} disabled={!s.history.past.length} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button
          type="button"
          onClick={E.redoNext}
          disabled={!s.history.future.length}
          title="Redo (Ctrl+Shift+Z)"
        >
          Redo
        </button>
        <hr />
        <button type="button" onClick={() => go(prev?.id)} disabled={!prev} title="Previous image (←)">
          ← Prev
        </button>
        <button type="button" onClick={() => go(next?.id)} disabled={!next} title="Next image (→)">
          Next →
        </button>
        <button type="button" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)">
          ? Keys
        </button>
      </div>
      <div className="stage-wrap">
        {s.conflict && (
          <div className="banner banner-error" role="alert" data-testid="conflict">
            {s.conflict.message}{' '}
            <button type="button" onClick={() => void E.reloadFromServer()}>
              Reload from server
            </button>{' '}
            <button type="button" onClick={() => void E.keepMine()}>
              Keep mine
            </button>
          </div>
        )}
        {s.offline && (
          <div className="banner" role="status">
            {s.offline}
          </div>
        )}
        {img ? (
          <Stage img={img} labels={labels} />
        ) : imgError ? (
          <p className="error" role="alert">
            {imgError}
          </p>
        ) : (
          <p className="muted">Loading image…</p>
        )}
      </div>
      <aside className="rail" aria-label="Annotation panel">
        <section className="panel">
          <h3>
            {s.image?.fileName ?? '…'}{' '}
            <span className="muted">
              {at + 1}/{list.length}
            </span>
          </h3>
          <p className={`path path-${s.path}`} data-testid="decoder-path" data-path={s.path}>
            {s.path === 'browser'
              ? '⚡ Browser decoder'
              : s.path === 'server'
                ? '☁ Server decoder'
                : '… Loading decoder'}
            <br />
            <span className="muted">{s.pathNote}</span>
          </p>
          {s.decoderInfo?.family === 'classic' && (
            <p className="note small" data-testid="classic-hint">
              Classic (GrabCut) works best with a box (<kbd>B</kbd>); a click gives a small region. For click
              quality run <code>segkit models pull sam</code>.
            </p>
          )}
          {models.data?.segment.test && (
            <p className="small" data-testid="test-model">
              <span className="badge badge-test">test model</span> Masks here come from a test fixture (a
              colour rule), not a real model.
            </p>
          )}
          <p className="muted" data-testid="preload" data-state={s.preloadNext}>
            Next image:{' '}
            {next
              ? { idle: '—', loading: 'preloading…', ready: 'preloaded ✓', error: 'preload failed' }[
                  s.preloadNext
                ]
              : 'none'}
          </p>
          <p className="muted" data-testid="save-state" data-pending={s.pending}>
            {s.pending ? `Saving ${s.pending}…` : 'All changes saved ✓'}
          </p>
          {s.busy && <p className="muted">Working: {s.busy}…</p>}
          {s.error && (
            <p className="error" role="alert">
              {s.error}
            </p>
          )}
          {s.timings.length > 0 && (
            <p className="muted" data-testid="timing">
              Last click → mask: {s.timings.at(-1)!.toFixed(0)} ms
            </p>
          )}
        </section>
        {img && s.candidates && s.candidates.length > 1 && (
          <CandidatePicker img={img} candidates={s.candidates} chosen={s.chosen} onChoose={E.choose} />
        )}
        {mode === 'find_all' && (
          <section className="panel" aria-label="Find all">
            <h3>Find all</h3>
            <label>
              Text prompt
              <input
                data-testid="find-text"
                value={text}
                maxLength={200}
                onChange={(e) => setText(e.target.value)}
                onBlur={() => void E.saveTextPrompt(text)}
                placeholder="e.g. red"
              />
            </label>
            <fieldset className="segmented" aria-label="Exemplar polarity">
              {(['positive', 'negative'] as const).map((p) => (
                <button
                  key={p}
                  type="button"
                  aria-pressed={s.exemplarPolarity === p}
                  className={s.exemplarPolarity === p ? 'on' : ''}
                  onClick={() => editor.setState({ exemplarPolarity: p, tool: 'exemplar' })}
                  data-testid={`polarity-${p}`}
                >
                  {p === 'positive' ? '+ Positive' : '− Negative'}
                </button>
              ))}
            </fieldset>
            <button
              type="button"
              className="primary"
              data-testid="find-all"
              onClick={() => void E.runFindAll(text)}
            >
              Find all
            </button>
          </section>
        )}
        <section className="panel" aria-label="Labels">
          <h3>Labels</h3>
          <ol className="labels" data-testid="labels">
            {labels.map((l, i) => (
              <li key={l.name}>
                <button
                  type="button"
                  aria-pressed={s.label === l.name}
                  className={s.label === l.name ? 'on' : ''}
                  onClick={() => labelBy(i + 1)}
                >
                  <span className="swatch" style={{ background: l.colour }} />
                  <kbd>{i + 1}</kbd> <span className="label-name">{l.name}</span>
                </button>
              </li>
            ))}
          </ol>
          <NewLabelForm onAdd={addLabel} />
        </section>
        {s.selected && (
          <section className="panel" aria-label="Assists">
            <h3>Assists</h3>
            <div className="row">
              <button type="button" onClick={() => void E.autoClass(s.selected!)}>
                Auto-class <kbd>C</kbd>
              </button>
              <button type="button" onClick={() => void E.refine(s.selected!)}>
                Refine <kbd>X</kbd>
              </button>
            </div>
            {s.ranked && s.rankedBy && (
              <p className="muted" data-testid="ranked-by">
                {s.rankedBy.source === 'head'
                  ? `by the project's head “${s.rankedBy.head}”`
                  : 'zero-shot CLIP (no active head)'}
                {s.rankedBy.unsure && ' · unsure'}
              </p>
            )}
            {s.ranked && (
              <ol className="ranked" data-testid="ranked">
                {s.ranked.slice(0, 5).map((r, i) => (
                  <li key={r.label}>
                    <button
                      type="button"
                      onClick={() => {
                        E.update(s.selected!, { label: r.label });
                        editor.setState({ ranked: null });
                      }}
                    >
                      {i === 0 && <kbd>A</kbd>} {r.label} {(r.probability * 100).toFixed(0)}%
                    </button>
                  </li>
                ))}
              </ol>
            )}
          </section>
        )}
        <section className="panel" aria-label="Annotations">
          <h3>
            {MODE_NAMES[mode as ModeT]} annotations ({visible.length})
          </h3>
          <ul className="annotations" data-testid="annotations">
            {visible.map((a) => (
              <li key={a.key} className={a.key === s.selected ? 'on' : ''} data-source={a.source}>
                <button type="button" onClick={() => editor.setState({ selected: a.key })}>
                  <span className="swatch" style={{ background: colourOf(a.label, labels) }} />
                  <span className="label-name">{a.label ?? 'unlabelled'}</span>{' '}
                  <span className="muted">
                    {a.promptType === 'segment' ? (a.rle ? 'mask' : 'box') : a.promptType.replace('_', ' ')} ·{' '}
                    {a.source === 'model' ? 'model-made ⋯' : 'user ─'}
                  </span>
                </button>
                <button type="button" aria-label="Delete" onClick={() => E.remove(a.key)}>
                  ✕
                </button>
              </li>
            ))}
          </ul>
          <p className="muted">
            <Link href={`/projects/${projectId}`}>Back to the gallery</Link>
          </p>
        </section>
      </aside>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}

/** The tools the project's model cannot serve, each with the reason a person reads on hover. */
function toolRefusals(info: DecoderInfoT | null): Partial<Record<Tool, string>> {
  if (!info?.browser || !info.graphs.length || info.graphs.some((g) => g.boxes)) return {};
  return {
    box: `${info.model} takes no boxes (its decoder graphs take points only): use the Point tool, or a SAM with a box decoder such as the sam preset.`,
  };
}
