import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHORTCUTS } from '../src/editor/shortcuts.js';

describe('keyboard shortcuts', () => {
  it('docs/web.md lists every shortcut of the ? overlay, with the same words', () => {
    const doc = readFileSync(new URL('../../../docs/web.md', import.meta.url), 'utf8');
    for (const [keys, action] of SHORTCUTS) {
      const cell = keys
        .split(' / ')
        .map((k) => `\`${k}\``)
        .join(' / ');
      expect(doc).toContain(`| ${cell} | ${action} |`);
    }
  });

  it('no key is bound twice', () => {
    const keys = SHORTCUTS.flatMap(([k]) => k.split(' / '));
    expect(new Set(keys).size).toBe(keys.length);
  });
});
