// Every keyboard shortcut of the annotator, in one table: the keydown handler runs it (`handleKey`), the `?` overlay
// lists it, and docs/web.md repeats it (a test checks both). The first binding whose `when` matches a key runs.
import type { ModeT } from '../api.js';
import type { Editor } from './editor.js';
import type { Tool } from './state.js';

/** A key event as the handler needs it (a KeyboardEvent, or a plain object in tests). */
export interface KeyLike {
  key: string;
  code?: string;
  shiftKey?: boolean;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
}

/** What a binding may do beyond the editor: the page's own actions. */
export interface KeyContext {
  editor: Editor;
  /** Chooses a tool, or says why the model refuses it. */
  setTool(tool: Tool): void;
  /** Label n (1-based) for new annotations and the selected one. */
  label(n: number): void;
  go(step: 1 | -1): void;
  setMode(mode: ModeT): void;
  toggleHelp(): void;
  fit(): void;
}

export interface Binding {
  /** As shown in the overlay and the docs ("Ctrl+Z", "→ / PageDown"). */
  keys: string;
  action: string;
  /** Pointer gestures are listed, but handled by the stage, not by keys. */
  gesture?: true;
  when?(e: KeyLike, c: KeyContext): boolean;
  run?(e: KeyLike, c: KeyContext): void;
}

const ctrl = (e: KeyLike) => !!(e.ctrlKey || e.metaKey);
const plain = (e: KeyLike, ...keys: string[]) => !ctrl(e) && !e.altKey && keys.includes(e.key);
const crosshairOn = (c: KeyContext) => c.editor.state.crosshair !== null;
const selected = (c: KeyContext) => c.editor.state.selected;
let lastX = 0;

const tool = (keys: string, t: Tool, action: string): Binding => ({
  keys,
  action,
  when: (e) => plain(e, keys.toLowerCase(), keys),
  run: (_e, c) => c.setTool(t),
});

const arrow = (keys: string, dx: number, dy: number) => (e: KeyLike, c: KeyContext) => {
  if (e.key !== keys) return;
  const s = c.editor.state.image;
  const step =
    Math.max(1, Math.round(Math.min(s?.width ?? 100, s?.height ?? 100) / 100)) * (e.shiftKey ? 10 : 1);
  c.editor.prompts.crosshair([dx * step, dy * step]);
};

export const KEYMAP: Binding[] = [
  tool('P', 'point', 'Point tool: left click adds a positive point, right click or Alt-click a negative one'),
  tool('B', 'box', 'Box tool: drag a box; SAM segments inside it'),
  tool('E', 'exemplar', 'Exemplar tool (find-all): left drag a positive exemplar, right drag a negative one'),
  {
    keys: 'G',
    action: 'Exemplar polarity: positive ↔ negative (for touchpads)',
    when: (e) => plain(e, 'g', 'G'),
    run: (_e, c) =>
      c.editor.set((s) => ({
        exemplarPolarity: s.exemplarPolarity === 'positive' ? 'negative' : 'positive',
      })),
  },
  tool('T', 'point-to-box', 'Point-to-box: one click gives a box, a mask and a label suggestion'),
  tool('V', 'edit', 'Edit tool: select a mask, drag the vertices of its outline'),
  {
    keys: 'K',
    action: 'Keyboard crosshair on or off: arrow keys move it (Shift: 10× faster)',
    when: (e) => plain(e, 'k', 'K'),
    run: (_e, c) => c.editor.prompts.crosshair('toggle'),
  },
  {
    keys: 'Enter / Shift+Enter',
    action: 'With the crosshair on: a positive / negative point where it is',
    when: (e, c) => crosshairOn(c) && !ctrl(e) && e.key === 'Enter',
    run: (e, c) => c.editor.prompts.placeAtCrosshair(e.shiftKey ? 0 : 1),
  },
  {
    keys: '↑ / ↓',
    action: 'With the crosshair on: move it (← and → too)',
    when: (e, c) => crosshairOn(c) && !ctrl(e) && e.key.startsWith('Arrow'),
    run: (e, c) => {
      arrow('ArrowUp', 0, -1)(e, c);
      arrow('ArrowDown', 0, 1)(e, c);
      arrow('ArrowLeft', -1, 0)(e, c);
      arrow('ArrowRight', 1, 0)(e, c);
    },
  },
  {
    keys: '1 / 2 / 3',
    action: 'Choose candidate 1, 2 or 3 of the current object',
    when: (e, c) => plain(e, '1', '2', '3') && !!c.editor.state.candidates,
    run: (e, c) => c.editor.prompts.choose(Number(e.key) - 1),
  },
  {
    keys: 'Alt+1…9',
    action:
      'Give the selected annotation label 1…9, and new ones too (digits alone do it when no candidates show)',
    when: (e) =>
      (!ctrl(e) && !!e.altKey && /^Digit[1-9]$/.test(e.code ?? '')) ||
      (!ctrl(e) && !e.altKey && /^[1-9]$/.test(e.key)),
    run: (e, c) => c.label(Number(e.altKey ? e.code!.slice(5) : e.key)),
  },
  {
    keys: 'Enter / N',
    action: 'Finish the object: the next click starts a new one',
    when: (e) => plain(e, 'Enter', 'n', 'N'),
    run: (_e, c) => c.editor.prompts.finish(),
  },
  {
    keys: 'Esc',
    action: 'Finish the object, clear the selection and hide the crosshair',
    when: (e) => plain(e, 'Escape'),
    run: (_e, c) => {
      c.editor.prompts.finish();
      c.editor.prompts.crosshair('off');
      c.editor.set({ selected: null, ranked: null });
    },
  },
  {
    keys: 'Delete / Backspace',
    action: 'Delete the selected annotation',
    when: (e, c) => plain(e, 'Delete', 'Backspace') && !!selected(c),
    run: (_e, c) => c.editor.remove(selected(c)!),
  },
  {
    keys: 'X',
    action: 'Refine the selected box with SAM; X twice quickly refines every box of its label',
    when: (e, c) => plain(e, 'x', 'X') && !!selected(c),
    run: (_e, c) => {
      const now = performance.now();
      const double = now - lastX < 400;
      lastX = double ? 0 : now;
      void c.editor.assists.refine(selected(c)!, double);
    },
  },
  {
    keys: 'C',
    action: 'Auto-class: rank the labels for the selected annotation',
    when: (e, c) => plain(e, 'c', 'C') && !!selected(c),
    run: (_e, c) => void c.editor.assists.autoClass(selected(c)!),
  },
  {
    keys: 'A',
    action: 'Accept the top auto-class suggestion',
    when: (e, c) => plain(e, 'a', 'A') && !!selected(c) && !!c.editor.state.ranked?.[0],
    run: (_e, c) => c.editor.assists.accept(c.editor.state.ranked![0]!.label),
  },
  {
    keys: 'Ctrl+Z',
    action: 'Undo',
    when: (e) => ctrl(e) && !e.shiftKey && (e.key === 'z' || e.key === 'Z'),
    run: (_e, c) => c.editor.undo(),
  },
  {
    keys: 'Ctrl+Shift+Z / Ctrl+Y',
    action: 'Redo',
    when: (e) => ctrl(e) && ((e.shiftKey && (e.key === 'z' || e.key === 'Z')) || e.key === 'y'),
    run: (_e, c) => c.editor.redo(),
  },
  {
    keys: 'M',
    action: 'Switch mode: inside-box ↔ find-all',
    when: (e) => plain(e, 'm', 'M'),
    run: (_e, c) => c.setMode(c.editor.state.mode === 'inside_box' ? 'find_all' : 'inside_box'),
  },
  {
    keys: '→ / PageDown',
    action: 'Next image',
    when: (e) => plain(e, 'ArrowRight', 'PageDown'),
    run: (_e, c) => c.go(1),
  },
  {
    keys: '← / PageUp',
    action: 'Previous image',
    when: (e) => plain(e, 'ArrowLeft', 'PageUp'),
    run: (_e, c) => c.go(-1),
  },
  {
    keys: 'F',
    action: 'Fit the image to the screen',
    when: (e) => plain(e, 'f', 'F'),
    run: (_e, c) => c.fit(),
  },
  { keys: 'Wheel', action: 'Zoom at the pointer', gesture: true },
  { keys: 'Space+drag / middle drag', action: 'Pan', gesture: true },
  {
    keys: '?',
    action: 'Show or hide this list',
    when: (e) => e.key === '?' && !ctrl(e),
    run: (_e, c) => c.toggleHelp(),
  },
];

/** Runs the first binding that takes the key, and returns it (the caller then prevents the default). */
export function handleKey(e: KeyLike, c: KeyContext): Binding | undefined {
  const b = KEYMAP.find((x) => x.when?.(e, c));
  b?.run?.(e, c);
  return b;
}
