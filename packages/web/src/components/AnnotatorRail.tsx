// The annotator's side panels, each reading only the editor state it shows: the status (decoder, saves, errors,
// speed), find-all, labels, assists and the mode's annotations.
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ModeT } from '../api.js';
import { useEditor, useEditorObject } from '../editor/react.js';
import { MODE_NAMES } from '../router.js';
import { colourOf } from '../util.js';
import { Link } from './Link.js';
import { NewLabelForm } from './NewLabelForm.js';

type Labels = { name: string; colour: string }[];

/** Where prompts run, saves, errors and the last prompt's time. */
export function StatusPanel({
  at,
  count,
  hasNext,
  testModel,
}: {
  at: number;
  count: number;
  hasNext: boolean;
  testModel: boolean;
}) {
  const s = useEditor(
    useShallow((st) => ({
      file: st.image?.fileName,
      path: st.path,
      pathNote: st.pathNote,
      classic: st.decoderInfo?.family === 'classic',
      preloadNext: st.preloadNext,
      pending: st.pending,
      busy: st.busy,
      error: st.error,
      timing: st.timing,
      notice: st.notice,
    })),
  );
  return (
    <section className="panel">
      <h3>
        <span className="label-name">{s.file ?? '…'}</span>{' '}
        <span className="muted">
          {at + 1}/{count}
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
      {s.classic && (
        <p className="note small" data-testid="classic-hint">
          Classic (GrabCut) works best with a box (<kbd>B</kbd>); a click gives a small region. For click
          quality run <code>segkit models pull sam</code>.
        </p>
      )}
      {testModel && (
        <p className="small" data-testid="test-model">
          <span className="badge badge-test">test model</span> Masks here come from a test fixture (a colour
          rule), not a real model.
        </p>
      )}
      <p className="muted" data-testid="preload" data-state={s.preloadNext}>
        Next image:{' '}
        {hasNext
          ? { idle: '—', loading: 'preloading…', ready: 'preloaded ✓', error: 'preload failed' }[
              s.preloadNext
            ]
          : 'none'}
      </p>
      <p className="muted" data-testid="save-state" data-pending={s.pending}>
        {s.pending ? `Saving ${s.pending}…` : 'All changes saved ✓'}
      </p>
      <p className="muted busy-line" aria-live="polite">
        {s.busy ? `Working: ${s.busy}…` : ''}
      </p>
      {s.error && (
        <p className="error" role="alert">
          {s.error}
        </p>
      )}
      {s.notice && !s.error && (
        <p className="ok" role="status" data-testid="notice">
          {s.notice}
        </p>
      )}
      {s.timing && !s.error && (
        <p className="muted" data-testid="timing" data-ms={s.timing.ms.toFixed(0)} data-kind={s.timing.kind}>
          Last {s.timing.kind} → mask: {s.timing.ms.toFixed(0)} ms{' '}
          {s.timing.path === 'browser' ? '(in the browser)' : '(on the server)'}
        </p>
      )}
    </section>
  );
}

/** Find-all: the image's text prompt, the exemplar polarity, the run button. */
export function FindAllPanel() {
  const ed = useEditorObject();
  const polarity = useEditor((s) => s.exemplarPolarity);
  const saved = useEditor((s) => s.image?.textPrompt ?? '');
  const [text, setText] = useState('');
  useEffect(() => setText(saved), [saved]);
  return (
    <section className="panel" aria-label="Find all">
      <h3>Find all</h3>
      <label>
        Text prompt
        <input
          data-testid="find-text"
          value={text}
          maxLength={200}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => void ed.assists.saveTextPrompt(text)}
          placeholder="e.g. red"
        />
      </label>
      <fieldset className="segmented" aria-label="Exemplar polarity">
        {(['positive', 'negative'] as const).map((p) => (
          <button
            key={p}
            type="button"
            aria-pressed={polarity === p}
            className={polarity === p ? 'on' : ''}
            onClick={() => ed.set({ exemplarPolarity: p, tool: 'exemplar' })}
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
        onClick={() => void ed.assists.findAll(text)}
      >
        Find all
      </button>
    </section>
  );
}

export function LabelsPanel({
  labels,
  onLabel,
  onAdd,
}: {
  labels: Labels;
  onLabel: (n: number) => void;
  onAdd: (name: string) => Promise<boolean>;
}) {
  const current = useEditor((s) => s.label);
  return (
    <section className="panel" aria-label="Labels">
      <h3>Labels</h3>
      <ol className="labels" data-testid="labels">
        {labels.map((l, i) => (
          <li key={l.name}>
            <button
              type="button"
              aria-pressed={current === l.name}
              className={current === l.name ? 'on' : ''}
              onClick={() => onLabel(i + 1)}
              title={l.name}
            >
              <span className="swatch" style={{ background: l.colour }} />
              <kbd>{i + 1}</kbd> <span className="label-name">{l.name}</span>
            </button>
          </li>
        ))}
      </ol>
      <NewLabelForm onAdd={onAdd} />
    </section>
  );
}

export function AssistsPanel() {
  const ed = useEditorObject();
  const s = useEditor(
    useShallow((st) => ({ selected: st.selected, ranked: st.ranked, rankedBy: st.rankedBy })),
  );
  if (!s.selected) return null;
  return (
    <section className="panel" aria-label="Assists">
      <h3>Assists</h3>
      <div className="row">
        <button type="button" onClick={() => void ed.assists.autoClass(s.selected!)}>
          Auto-class <kbd>C</kbd>
        </button>
        <button type="button" onClick={() => void ed.assists.refine(s.selected!)}>
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
              <button type="button" onClick={() => ed.assists.accept(r.label)}>
                {i === 0 && <kbd>A</kbd>} {r.label} {(r.probability * 100).toFixed(0)}%
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Exemplar boxes are drawn green (positive) or red dashed (negative): the list says so with the same colours. */
const EXEMPLAR = {
  positive_exemplar: { name: '+ exemplar (positive)', colour: '#2fd16a' },
  negative_exemplar: { name: '− exemplar (negative)', colour: '#ff4d4d' },
} as const;

export function AnnotationsPanel({
  mode,
  labels,
  projectId,
}: {
  mode: ModeT;
  labels: Labels;
  projectId: number;
}) {
  const ed = useEditorObject();
  const annotations = useEditor((s) => s.annotations);
  const selected = useEditor((s) => s.selected);
  return (
    <section className="panel" aria-label="Annotations">
      <h3>
        {MODE_NAMES[mode]} annotations ({annotations.length})
      </h3>
      <ul className="annotations" data-testid="annotations">
        {annotations.map((a) => {
          const ex = a.promptType === 'segment' ? null : EXEMPLAR[a.promptType];
          const name = ex ? ex.name : (a.label ?? 'unlabelled');
          return (
            <li key={a.key} className={a.key === selected ? 'on' : ''} data-source={a.source}>
              <button type="button" onClick={() => ed.set({ selected: a.key })} title={name}>
                <span className="swatch" style={{ background: ex ? ex.colour : colourOf(a.label, labels) }} />
                <span className="label-name">{name}</span>{' '}
                <span className="muted">
                  {ex ? 'prompt' : a.rle ? 'mask' : 'box'} ·{' '}
                  {a.source === 'model' ? 'model-made ⋯' : 'user ─'}
                </span>
              </button>
              <button type="button" aria-label={`Delete ${name}`} onClick={() => ed.remove(a.key)}>
                ✕
              </button>
            </li>
          );
        })}
      </ul>
      <p className="muted">
        <Link href={`/projects/${projectId}`}>Back to the gallery</Link>
      </p>
    </section>
  );
}
