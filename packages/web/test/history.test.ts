import { describe, expect, it } from 'vitest';
import {
  applyCommand,
  type Command,
  invert,
  LIMIT,
  type LocalAnnotation,
  record,
  redo,
  snapshotOf,
  undo,
} from '../src/editor/history.js';

const ann = (key: string, counts = 'abc'): LocalAnnotation => ({
  key,
  id: null,
  version: 0,
  imageId: 1,
  mode: 'inside_box',
  label: 'cup',
  promptType: 'segment',
  source: 'user',
  bbox: [1, 2, 3, 4],
  rle: { size: [10, 10], counts },
  score: 0.9,
  model: null,
});

describe('editor history', () => {
  it('every command and its inverse give back the exact previous annotations', () => {
    const a = ann('a');
    const b = ann('b', 'xyz');
    const start = [a];
    const patch = {
      rle: { size: [10, 10] as [number, number], counts: 'NEW' },
      bbox: [0, 0, 9, 9] as [number, number, number, number],
    };
    const commands: Command[] = [
      { kind: 'add', annotation: b },
      { kind: 'remove', annotation: a },
      { kind: 'update', key: 'a', before: snapshotOf(a, patch), after: patch },
      {
        kind: 'batch',
        commands: [
          { kind: 'add', annotation: b },
          { kind: 'update', key: 'b', before: snapshotOf(b, { label: 'dog' }), after: { label: 'dog' } },
        ],
      },
    ];
    for (const cmd of commands) {
      const after = applyCommand(start, cmd);
      expect(after).not.toEqual(start);
      expect(applyCommand(after, invert(cmd))).toEqual(start);
    }
  });

  it('an update restores the fields it changed exactly (the RLE text included)', () => {
    const a = ann('a', 'ORIGINAL');
    const patch = { rle: { size: [10, 10] as [number, number], counts: 'EDITED' } };
    const cmd: Command = { kind: 'update', key: 'a', before: snapshotOf(a, patch), after: patch };
    const edited = applyCommand([a], cmd);
    expect(edited[0]!.rle!.counts).toBe('EDITED');
    expect(applyCommand(edited, invert(cmd))[0]!.rle!.counts).toBe('ORIGINAL');
  });

  it('undo and redo walk the history; a new edit clears the redo future; the past is bounded', () => {
    const c1: Command = { kind: 'add', annotation: ann('1') };
    const c2: Command = { kind: 'add', annotation: ann('2') };
    let h = record(record({ past: [], future: [] }, c1), c2);
    const u = undo(h)!;
    expect(u.apply).toEqual(invert(c2));
    h = u.history;
    expect(h.future).toEqual([c2]);
    const r = redo(h)!;
    expect(r.apply).toEqual(c2);
    expect(r.history.past).toEqual([c1, c2]);
    expect(record(h, c1).future).toEqual([]);
    expect(undo({ past: [], future: [] })).toBeUndefined();
    expect(redo({ past: [], future: [] })).toBeUndefined();
    let big = { past: [] as Command[], future: [] as Command[] };
    for (let i = 0; i < LIMIT + 10; i++) big = record(big, { kind: 'add', annotation: ann(String(i)) });
    expect(big.past).toHaveLength(LIMIT);
  });
});
