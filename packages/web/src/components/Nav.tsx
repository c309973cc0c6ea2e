import { useQuery } from '@tanstack/react-query';
import { api } from '../api.js';
import type { Route } from '../router.js';
import { Link } from './Link.js';
import { ModeToggle } from './ModeToggle.js';

export function Nav({ route, projectId }: { route: Route; projectId: number | null }) {
  const project = useQuery({
    queryKey: ['project', projectId],
    queryFn: () => api.project(projectId!),
    enabled: projectId !== null,
  });
  const tab = (href: string, page: Route['page'], text: string) => (
    <Link href={href} aria-current={route.page === page ? 'page' : undefined}>
      {text}
    </Link>
  );
  return (
    <header className="nav">
      <Link href="/" className="brand">
        SegKit
      </Link>
      {projectId !== null && (
        <nav aria-label="Project">
          <span className="project-name">{project.data?.name ?? '…'}</span>
          {tab(`/projects/${projectId}`, 'gallery', 'Gallery')}
          {tab(`/projects/${projectId}/process`, 'process', 'Processing')}
          {tab(`/projects/${projectId}/analytics`, 'analytics', 'Analytics')}
          {tab(`/projects/${projectId}/recipes`, 'recipes', 'Recipes')}
          {tab(`/projects/${projectId}/settings`, 'settings', 'Settings')}
        </nav>
      )}
      <div className="spacer" />
      {/* The mode matters where masks of one mode are shown or made; analytics, recipes and settings span both. */}
      {projectId !== null && !['analytics', 'settings', 'recipes'].includes(route.page) && <ModeToggle />}
    </header>
  );
}
