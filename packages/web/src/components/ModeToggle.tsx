import { useStore } from 'zustand';
import type { ModeT } from '../api.js';
import { MODE_NAMES, modeStore, setMode } from '../router.js';

/** The inside-box / find-all toggle, shared by every page (M switches it in the annotator). */
export function ModeToggle() {
  const mode = useStore(modeStore, (s) => s.mode);
  return (
    <fieldset className="segmented" aria-label="Mode">
      {(['inside_box', 'find_all'] as ModeT[]).map((m) => (
        <button
          key={m}
          type="button"
          aria-pressed={mode === m}
          className={mode === m ? 'on' : ''}
          onClick={() => setMode(m)}
          data-testid={`mode-${MODE_NAMES[m]}`}
        >
          {MODE_NAMES[m]}
        </button>
      ))}
    </fieldset>
  );
}
