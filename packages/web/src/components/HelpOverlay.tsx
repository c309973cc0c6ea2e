import { useEffect, useRef } from 'react';
import { KEYMAP } from '../editor/keymap.js';

/** The `?` overlay: every shortcut of the annotator. Esc or Close hides it. */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === '?') {
        e.stopPropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);
  return (
    <div className="overlay">
      <dialog open className="overlay-box" aria-label="Keyboard shortcuts" data-testid="shortcuts">
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {KEYMAP.map((b) => (
              <tr key={b.keys}>
                <th scope="row">
                  <kbd>{b.keys}</kbd>
                </th>
                <td>{b.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" ref={close} onClick={onClose}>
          Close
        </button>
      </dialog>
    </div>
  );
}
