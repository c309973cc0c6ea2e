import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../api.js';
import { PageError } from '../components/Errors.js';
import { Link } from '../components/Link.js';
import { navigate } from '../router.js';

/** The projects; with exactly one (as after `segkit serve FOLDER`), its gallery opens directly. */
export function Projects() {
  const projects = useQuery({ queryKey: ['projects'], queryFn: api.projects });
  const only = projects.data?.length === 1 ? projects.data[0] : undefined;
  useEffect(() => {
    if (only) navigate(`/projects/${only.id}`, true);
  }, [only]);
  if (projects.error) return <PageError error={projects.error} />;
  if (!projects.data) return <p className="muted">Loading projects…</p>;
  return (
    <section>
      <h1>Projects</h1>
      {projects.data.length === 0 && (
        <p>
          No projects yet. Start the server with a folder of images: <code>segkit serve examples/shapes</code>
        </p>
      )}
      <ul className="cards">
        {projects.data.map((p) => (
          <li key={p.id} className="card">
            <Link href={`/projects/${p.id}`}>{p.name}</Link>
            <span className="muted"> · {p.labels.length} labels</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
