// A small history router: the path is state, links push it, and pages read their parameters from it.
import { useSyncExternalStore } from 'react';
import { createStore } from 'zustand/vanilla';
import type { ModeT } from './api.js';

const listeners = new Set<() => void>();
const subscribe = (fn: () => void) => {
  listeners.add(fn);
  window.addEventListener('popstate', fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('popstate', fn);
  };
};

export function navigate(to: string, replace = false) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const fn of listeners) fn();
}

export const useLocation = () => useSyncExternalStore(subscribe, () => location.pathname + location.search);

export type Route =
  | { page: 'projects' }
  | { page: 'gallery'; projectId: number }
  | { page: 'annotate'; projectId: number; imageId: number }
  | { page: 'process'; projectId: number }
  | { page: 'analytics'; projectId: number }
  | { page: 'settings'; projectId: number }
  | { page: 'recipes'; projectId: number }
  | { page: 'missing' };

/** Reads a path into a route. */
export function parseRoute(path: string): Route {
  const p = path.split('?')[0]!.replace(/\/+$/, '') || '/';
  if (p === '/') return { page: 'projects' };
  let m = /^\/projects\/(\d+)$/.exec(p);
  if (m) return { page: 'gallery', projectId: Number(m[1]) };
  m = /^\/projects\/(\d+)\/images\/(\d+)$/.exec(p);
  if (m) return { page: 'annotate', projectId: Number(m[1]), imageId: Number(m[2]) };
  m = /^\/projects\/(\d+)\/(process|analytics|settings|recipes)$/.exec(p);
  if (m) return { page: m[2] as 'process' | 'analytics' | 'settings' | 'recipes', projectId: Number(m[1]) };
  return { page: 'missing' };
}

/** The mode (inside-box / find-all), shared by the gallery, the annotator and the processing page. */
export const modeStore = createStore<{ mode: ModeT }>(() => ({
  mode: (localStorage.getItem('segkit.mode') as ModeT | null) ?? 'inside_box',
}));
modeStore.subscribe((s) => localStorage.setItem('segkit.mode', s.mode));
export const setMode = (mode: ModeT) => modeStore.setState({ mode });
export const MODE_NAMES: Record<ModeT, string> = { inside_box: 'inside-box', find_all: 'find-all' };
