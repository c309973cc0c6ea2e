// The page's editor in React: the annotator provides it, components read the slices they show.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { Editor } from './editor.js';
import type { EditorState } from './state.js';

export const EditorContext = createContext<Editor | null>(null);

/** The page's editor (inside the annotator). */
export function useEditorObject(): Editor {
  const ed = useContext(EditorContext);
  if (!ed) throw new Error('useEditor outside the annotator');
  return ed;
}

/** One slice of the editor's state: the component re-renders only when that slice changes. */
export function useEditor<T>(selector: (s: EditorState) => T): T {
  return useStore(useEditorObject().store, selector);
}
