// The annotator's keymap: each key of the table, pressed, runs its binding and does what the ? overlay says (on the
// editor with fakes); every binding is pressed here; docs/web.md lists the same table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModeT } from '../src/api.js';
import { Editor } from '../src/editor/editor.js';
import { handleKey, KEYMAP, type KeyContext, type KeyLike } from '../src/editor/keymap.js';
import type { Tool } from '../src/editor/state.js';
import { fakeDecoder, fakeDeps, settle } from './fake-editor.js';

async function setUp() {
  const f = fakeDeps(fakeDecoder(), { t: 0 });
  const editor = new Editor(f.deps);
  await editor.openImage(1, 1, 'inside_box');
  const log: string[] = [];
  const ctx: KeyContext = {
    editor,
    setTool: (t: Tool) => editor.set({ tool: t }),
    label: (n) => log.push(`label ${n}`),
    go: (step) => log.push(`go ${step}`),
    setMode: (m: ModeT) => log.push(`mode ${m}`),
    toggleHelp: () => log.push('help'),
    fit: () => log.push('fit'),
  };
  return { editor, ctx, log };
}

const pressed = new Set<string>();
async function press(ctx: KeyContext, e: KeyLike, keys: string) {
  const b = handleKey(e, ctx);
  expect(b?.keys, JSON.stringify(e)).toBe(keys);
  pressed.add(keys);
  await settle();
}

describe('keymap', () => {
  it('each binding runs from its key and does what it says', async () => {
    const { editor, ctx, log } = await setUp();
    const ed = editor;
    for (const [key, tool] of [
      ['b', 'box'],
      ['t', 'point-to-box'],
      ['v', 'edit'],
      ['E', 'exemplar'],
      ['p', 'point'],
    ] as const) {
      await press(ctx, { key }, key.toUpperCase());
      expect(ed.state.tool).toBe(tool);
    }
    await press(ctx, { key: 'g' }, 'G');
    expect(ed.state.exemplarPolarity).toBe('negative');
    // The crosshair: on, moved (Shift: ten times), a positive then a negative point, off with Esc.
    await press(ctx, { key: 'k' }, 'K');
    expect(ed.state.crosshair).toEqual([32, 24]);
    await press(ctx, { key: 'ArrowUp' }, '↑ / ↓');
    await press(ctx, { key: 'ArrowLeft', shiftKey: true }, '↑ / ↓');
    expect(ed.state.crosshair).toEqual([22, 23]);
    await press(ctx, { key: 'Enter' }, 'Enter / Shift+Enter');
    await settle();
    expect(ed.state.annotations).toHaveLength(1);
    await press(ctx, { key: 'Enter', shiftKey: true }, 'Enter / Shift+Enter');
    await settle();
    expect(ed.state.draft.clicks.map((c) => c.label)).toEqual([1, 0]);
    // Candidates show: 2 picks the second; digits label otherwise.
    await press(ctx, { key: '2' }, '1 / 2 / 3');
    expect(ed.state.chosen).toBe(1);
    await press(ctx, { key: 'Escape' }, 'Esc');
    expect(ed.state.crosshair).toBeNull();
    expect(ed.state.candidates).toBeNull();
    await press(ctx, { key: '4' }, 'Alt+1…9');
    await press(ctx, { key: '¡', code: 'Digit1', altKey: true }, 'Alt+1…9');
    expect(log.splice(0)).toEqual(['label 4', 'label 1']);
    // Without the crosshair, Enter finishes the object and arrows change image.
    await press(ctx, { key: 'n' }, 'Enter / N');
    await press(ctx, { key: 'ArrowRight' }, '→ / PageDown');
    await press(ctx, { key: 'PageUp' }, '← / PageUp');
    await press(ctx, { key: 'm' }, 'M');
    await press(ctx, { key: 'f' }, 'F');
    await press(ctx, { key: '?' }, '?');
    expect(log.splice(0)).toEqual(['go 1', 'go -1', 'mode find_all', 'fit', 'help']);
    // The selected annotation: undo, redo, auto-class, refine, accept, delete.
    const key = ed.state.annotations[0]!.key;
    ed.set({ selected: key });
    const bboxNow = () => ed.state.annotations[0]!.bbox;
    expect(bboxNow()).toEqual([18, 19, 9, 9]); // candidate 2
    await press(ctx, { key: 'z', ctrlKey: true }, 'Ctrl+Z');
    expect(bboxNow()).toEqual([12, 13, 21, 21]);
    await press(ctx, { key: 'y', ctrlKey: true }, 'Ctrl+Shift+Z / Ctrl+Y');
    expect(bboxNow()).toEqual([18, 19, 9, 9]);
    await press(ctx, { key: 'z', ctrlKey: true }, 'Ctrl+Z');
    await press(ctx, { key: 'Z', ctrlKey: true, shiftKey: true }, 'Ctrl+Shift+Z / Ctrl+Y');
    expect(bboxNow()).toEqual([18, 19, 9, 9]);
    await press(ctx, { key: 'c' }, 'C');
    await press(ctx, { key: 'x' }, 'X');
    ed.set({ ranked: [{ label: 'cat', probability: 0.9 }], selected: key });
    await press(ctx, { key: 'a' }, 'A');
    expect(ed.state.annotations[0]!.label).toBe('cat');
    await press(ctx, { key: 'Delete' }, 'Delete / Backspace');
    expect(ed.state.annotations).toHaveLength(0);
    // Keys with nothing to act on do nothing (no selection: no delete).
    expect(handleKey({ key: 'Delete' }, ctx)).toBeUndefined();
    expect(handleKey({ key: 'q' }, ctx)).toBeUndefined();
  });

  it('every key binding of the table was pressed above; gestures are the only ones without a key', () => {
    const keyed = KEYMAP.filter((b) => !b.gesture).map((b) => b.keys);
    expect(keyed.filter((k) => !pressed.has(k))).toEqual([]);
    expect(KEYMAP.filter((b) => b.gesture).map((b) => b.keys)).toEqual(['Wheel', 'Space+drag / middle drag']);
  });

  it('docs/web.md lists every shortcut of the ? overlay, with the same words', () => {
    const doc = readFileSync(new URL('../../../docs/web.md', import.meta.url), 'utf8');
    for (const { keys, action } of KEYMAP) {
      const cell = keys
        .split(' / ')
        .map((k) => `\`${k}\``)
        .join(' / ');
      expect(doc).toContain(`| ${cell} | ${action} |`);
    }
  });
});
