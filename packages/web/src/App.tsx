import { lazy, Suspense } from 'react';
import { ActivityOverlay } from './components/ActivityOverlay.js';
import { Nav } from './components/Nav.js';
import { Gallery } from './pages/Gallery.js';
import { Projects } from './pages/Projects.js';
import { parseRoute, useLocation } from './router.js';

// The annotator (with ONNX Runtime), processing and analytics pages load when first opened.
const Annotator = lazy(() => import('./pages/Annotator.js').then((m) => ({ default: m.Annotator })));
const Processing = lazy(() => import('./pages/Processing.js').then((m) => ({ default: m.Processing })));
const Analytics = lazy(() => import('./pages/Analytics.js').then((m) => ({ default: m.Analytics })));

export function App() {
  const route = parseRoute(useLocation());
  const projectId = 'projectId' in route ? route.projectId : null;
  return (
    <div className="app">
      <Nav route={route} projectId={projectId} />
      <main className={route.page === 'annotate' ? 'main main-full' : 'main'}>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          {route.page === 'projects' && <Projects />}
          {route.page === 'gallery' && <Gallery projectId={route.projectId} />}
          {route.page === 'annotate' && <Annotator projectId={route.projectId} imageId={route.imageId} />}
          {route.page === 'process' && <Processing projectId={route.projectId} />}
          {route.page === 'analytics' && <Analytics projectId={route.projectId} />}
          {route.page === 'missing' && (
            <p>
              No such page. <a href="/">Projects</a>
            </p>
          )}
        </Suspense>
      </main>
      <ActivityOverlay />
    </div>
  );
}
