// The annotator's recipes (find-all mode): the project's recipes with their figures; one ticked is applied as a
// recipe, several as a cascade in the order listed. The objects they find replace what they found here before.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api.js';
import { useEditor, useEditorObject } from '../editor/react.js';
import { Link } from './Link.js';

export function RecipePanel({ projectId }: { projectId: number }) {
  const ed = useEditorObject();
  const busy = useEditor((s) => s.busy);
  const recipes = useQuery({ queryKey: ['recipes', projectId], queryFn: () => api.recipes(projectId) });
  const [picked, setPicked] = useState<number[]>([]);
  const list = recipes.data?.recipes ?? [];
  const chosen = list.filter((r) => picked.includes(r.id));
  return (
    <section className="panel" aria-label="Recipes">
      <h3>Recipes</h3>
      {recipes.isLoading && <p className="muted">Loading recipes…</p>}
      {!recipes.isLoading && !list.length && (
        <p className="muted">
          No recipes yet: <Link href={`/projects/${projectId}/recipes`}>mine them</Link> from labelled images.
        </p>
      )}
      {list.length > 0 && (
        <ul className="recipe-picks" data-testid="recipe-picks">
          {list.map((r) => (
            <li key={r.id}>
              <label>
                <input
                  type="checkbox"
                  checked={picked.includes(r.id)}
                  data-testid={`recipe-pick-${r.name}`}
                  onChange={(e) =>
                    setPicked((p) => (e.target.checked ? [...p, r.id] : p.filter((x) => x !== r.id)))
                  }
                />{' '}
                {r.name}{' '}
                <small className="muted">
                  P {r.scores.precision.toFixed(2)} · C {r.scores.coverage.toFixed(2)}
                </small>
              </label>
            </li>
          ))}
        </ul>
      )}
      {list.length > 0 && (
        <button
          type="button"
          data-testid="apply-recipes"
          disabled={!chosen.length || Boolean(busy)}
          title={chosen.length ? undefined : 'Tick a recipe first'}
          onClick={() => void ed.assists.applyRecipes(chosen.map((r) => ({ id: r.id, name: r.name })))}
        >
          {chosen.length > 1 ? `Apply cascade (${chosen.length})` : 'Apply recipe'}
        </button>
      )}
    </section>
  );
}
