// The annotator's tool bar: the tools (a tool the model refuses is disabled, with the reason on hover), undo/redo,
// image navigation and the shortcut list. Every button is reachable with Tab, and each tool has its key.
import type { DecoderInfoT, ModeT } from '../api.js';
import { useEditor, useEditorObject } from '../editor/react.js';
import type { Tool } from '../editor/state.js';

export const TOOLS: [Tool, string, string][] = [
  ['point', 'Point', 'P'],
  ['box', 'Box', 'B'],
  ['exemplar', 'Exemplar', 'E'],
  ['point-to-box', 'Point → box', 'T'],
  ['edit', 'Edit outline', 'V'],
];

/** The tools the project's model cannot serve, each with the reason a person reads on hover. */
export function toolRefusals(info: DecoderInfoT | null, mode: ModeT): Partial<Record<Tool, string>> {
  const out: Partial<Record<Tool, string>> = {};
  if (mode !== 'find_all') out.exemplar = 'Exemplar boxes belong to find-all: switch mode with M';
  if (info?.browser && info.graphs.length && !info.graphs.some((g) => g.boxes))
    out.box = `${info.model} takes no boxes (its decoder graphs take points only): use the Point tool, or a SAM with a box decoder such as the sam preset.`;
  return out;
}

export function Toolbar({
  mode,
  onTool,
  onGo,
  hasPrev,
  hasNext,
  onHelp,
}: {
  mode: ModeT;
  onTool: (t: Tool) => void;
  onGo: (step: 1 | -1) => void;
  hasPrev: boolean;
  hasNext: boolean;
  onHelp: () => void;
}) {
  const ed = useEditorObject();
  const tool = useEditor((s) => s.tool);
  const info = useEditor((s) => s.decoderInfo);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const crosshair = useEditor((s) => s.crosshair !== null);
  const refused = toolRefusals(info, mode);
  return (
    <div className="tools" role="toolbar" aria-label="Tools">
      {TOOLS.map(([t, name, key]) => (
        <button
          key={t}
          type="button"
          aria-pressed={tool === t}
          className={tool === t ? 'on' : ''}
          onClick={() => onTool(t)}
          title={refused[t] ?? `${name} (${key})`}
          aria-keyshortcuts={key}
          data-testid={`tool-${t}`}
          disabled={refused[t] !== undefined}
        >
          {name} <kbd>{key}</kbd>
        </button>
      ))}
      <button
        type="button"
        aria-pressed={crosshair}
        className={crosshair ? 'on' : ''}
        onClick={() => ed.prompts.crosshair('toggle')}
        title="Keyboard crosshair (K): arrows move it, Enter / Shift+Enter place a positive / negative point"
        aria-keyshortcuts="K"
        data-testid="crosshair"
      >
        Crosshair <kbd>K</kbd>
      </button>
      <hr />
      <button type="button" onClick={() => ed.undo()} disabled={!canUndo} title="Undo (Ctrl+Z)">
        Undo
      </button>
      <button type="button" onClick={() => ed.redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
        Redo
      </button>
      <hr />
      <button type="button" onClick={() => onGo(-1)} disabled={!hasPrev} title="Previous image (←)">
        ← Prev
      </button>
      <button type="button" onClick={() => onGo(1)} disabled={!hasNext} title="Next image (→)">
        Next →
      </button>
      <button type="button" onClick={onHelp} title="Keyboard shortcuts (?)">
        ? Keys
      </button>
    </div>
  );
}
