import { Component, lazy, type ReactNode, Suspense } from 'react';
import { ActivityOverlay } from './components/ActivityOverlay.js';
import { NotFound } from './components/Errors.js';
import { Nav } from './components/Nav.js';
import { Gallery } from './pages/Gallery.js';
import { Projects } from './pages/Projects.js';
import { parseRoute, useLocation } from './router.js';

// The annotator (with ONNX Runtime), processing and analytics pages load when first opened.
const Annotator = lazy(() => import('./pages/Annotator.js').then((m) => ({ default: m.Annotator })));
const Processing = lazy(() => import('./pages/Processing.js').then((m) => ({ default: m.Processing })));
const Analytics = lazy(() => import('./pages/Analytics.js').then((m) => ({ default: m.Analytics })));
const Recipes = lazy(() => import('./pages/Recipes.js').then((m) => ({ default: m.Recipes })));
const Settings = lazy(() => import('./pages/Settings.js').then((m) => ({ default: m.Settings })));

export function App() {
  const route = parseRoute(useLocation());
  const projectId = 'projectId' in route ? route.projectId : null;
  return (
    <div className="app">
      <Nav route={route} projectId={projectId} />
      <main className={route.page === 'annotate' ? 'main main-full' : 'main'}>
        <ErrorBoundary key={route.page}>
          <Suspense fallback={<p className="muted">Loading…</p>}>
            {route.page === 'projects' && <Projects />}
            {route.page === 'gallery' && <Gallery projectId={route.projectId} />}
            {route.page === 'annotate' && <Annotator projectId={route.projectId} imageId={route.imageId} />}
            {route.page === 'process' && <Processing projectId={route.projectId} />}
            {route.page === 'analytics' && <Analytics projectId={route.projectId} />}
            {route.page === 'settings' && <Settings projectId={route.projectId} />}
            {route.page === 'recipes' && <Recipes projectId={route.projectId} />}
            {route.page === 'missing' && <NotFound what="page" />}
          </Suspense>
        </ErrorBoundary>
      </main>
      <ActivityOverlay />
    </div>
  );
}

/** A page that throws shows what failed and a way back, never a blank screen. */
class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="error" role="alert">
        <p>This page failed: {this.state.error.message}</p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload (saved work is kept)
        </button>
      </div>
    );
  }
}
