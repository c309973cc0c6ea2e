import type { ImageT } from '../api.js';

const ICON: Record<ImageT['status']['inside_box'], string> = {
  none: '○',
  pending: '…',
  running: '◐',
  done: '✓',
  failed: '✗',
};

/** A per-mode processing status: a symbol and a word, not colour alone. */
export function StatusBadge({ name, status }: { name: string; status: ImageT['status']['inside_box'] }) {
  return (
    <span className={`badge badge-${status}`} data-testid={`status-${name}`} data-status={status}>
      {ICON[status]} {name}: {status}
    </span>
  );
}
