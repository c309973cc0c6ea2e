import type { ImageT } from '../api.js';

const ICON: Record<ImageT['status']['inside_box'], string> = {
  none: '○',
  pending: '…',
  running: '◐',
  done: '✓',
  failed: '✗',
};

/** A per-mode processing status: a symbol and a word, not colour alone; a failure's reason shows on hover. */
export function StatusBadge({
  name,
  status,
  reason,
}: {
  name: string;
  status: ImageT['status']['inside_box'];
  reason?: string | null | undefined;
}) {
  return (
    <span
      className={`badge badge-${status}`}
      data-testid={`status-${name}`}
      data-status={status}
      title={reason ? `${name} failed: ${reason}` : undefined}
    >
      {ICON[status]} {name}: {status}
    </span>
  );
}
