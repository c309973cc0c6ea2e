// The annotator page: it creates the page's editor (with the browser's decoder, API and save queue), opens the image
// in the mode, runs the keymap, and lays out the tool bar, the stage and the side panels.

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { ApiError, api, fileUrl } from '../api.js';
import {
  AnnotationsPanel,
  AssistsPanel,
  FindAllPanel,
  LabelsPanel,
  StatusPanel,
} from '../components/AnnotatorRail.js';
import { CandidatePicker } from '../components/CandidatePicker.js';
import { NotFound, PageError } from '../components/Errors.js';
import { HelpOverlay } from '../components/HelpOverlay.js';
import { RecipePanel } from '../components/RecipePanel.js';
import { Stage } from '../components/Stage.js';
import { Toolbar, toolRefusals } from '../components/Toolbar.js';
import { browserDeps } from '../editor/browser-deps.js';
import { Editor } from '../editor/editor.js';
import { handleKey, type KeyContext } from '../editor/keymap.js';
import { EditorContext, useEditor, useEditorObject } from '../editor/react.js';
import type { Tool } from '../editor/state.js';
import { modeStore, navigate, setMode } from '../router.js';
import { errorText, nextLabelColour } from '../util.js';

export function Annotator({ projectId, imageId }: { projectId: number; imageId: number }) {
  // One editor per annotator page; moving to the next image keeps it (and its tool, label and decoder).
  const [editor] = useState(() => new Editor(browserDeps()));
  return (
    <EditorContext.Provider value={editor}>
      <AnnotatorPage projectId={projectId} imageId={imageId} editor={editor} />
    </EditorContext.Provider>
  );
}

function AnnotatorPage({
  projectId,
  imageId,
  editor,
}: {
  projectId: number;
  imageId: number;
  editor: Editor;
}) {
  const mode = useStore(modeStore, (s) => s.mode);
  const client = useQueryClient();
  const project = useQuery({ queryKey: ['project', projectId], queryFn: () => api.project(projectId) });
  const images = useQuery({ queryKey: ['images', projectId], queryFn: () => api.images(projectId) });
  const models = useQuery({
    queryKey: ['project-models', projectId],
    queryFn: () => api.projectModels(projectId),
  });
  const image = useEditor((s) => s.image);
  const pending = useEditor((s) => s.pending);
  // Opening the image failed: a link to one that does not exist is a not-found page, not a hang.
  const [openError, setOpenError] = useState<unknown>(null);
  const [img, setImg] = useState<HTMLImageElement | null>(null);
  const [imgError, setImgError] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const fitRef = useRef<() => void>(() => undefined);

  const list = images.data?.items ?? [];
  const at = list.findIndex((i) => i.id === imageId);
  const next = at >= 0 ? list[at + 1] : undefined;
  const prev = at > 0 ? list[at - 1] : undefined;
  const labels = project.data?.labels ?? [];

  useEffect(() => {
    const el = new Image();
    setImgError(null);
    el.onload = () => setImg(el);
    el.onerror = () => setImgError('The image file could not be loaded.');
    el.alt = `image ${imageId}`;
    el.src = fileUrl(imageId);
    return () => {
      el.onload = null;
      el.onerror = null;
    };
  }, [imageId]);

  useEffect(() => {
    setOpenError(null);
    editor.openImage(projectId, imageId, mode, next?.id).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) setOpenError(e);
      else editor.set({ error: errorText(e) });
    });
  }, [editor, projectId, imageId, mode, next?.id]);

  // Gallery counts change as annotations are saved.
  useEffect(() => {
    if (pending === 0) void client.invalidateQueries({ queryKey: ['images', projectId] });
  }, [pending, client, projectId]);

  const go = (step: 1 | -1) => {
    const to = step === 1 ? next : prev;
    if (to) navigate(`/projects/${projectId}/images/${to.id}`);
  };
  const setTool = (tool: Tool) => {
    const why = toolRefusals(editor.state.decoderInfo, mode)[tool];
    if (why) return editor.set({ error: why });
    editor.set({ tool, error: null });
  };
  const label = (n: number) => {
    const l = labels[n - 1];
    if (!l) return;
    editor.set({ label: l.name });
    if (editor.state.selected) editor.update(editor.state.selected, { label: l.name });
  };
  const keys: KeyContext = {
    editor,
    setTool,
    label,
    go,
    setMode,
    toggleHelp: () => setHelp((h) => !h),
    fit: () => fitRef.current(),
  };
  const keysRef = useRef(keys);
  keysRef.current = keys;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement)
        return;
      // A focused button or link takes Enter and Space itself (keyboard users press it).
      if (
        (e.key === 'Enter' || e.key === ' ') &&
        (t instanceof HTMLButtonElement || t instanceof HTMLAnchorElement)
      )
        return;
      if (handleKey(e, keysRef.current)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const addLabel = async (name: string) => {
    if (!project.data) return false;
    if (labels.some((l) => l.name === name)) {
      editor.set({ label: name });
      return true;
    }
    try {
      await api.updateProject(projectId, { labels: [...labels, { name, colour: nextLabelColour(labels) }] });
      editor.set({ label: name });
      await client.invalidateQueries({ queryKey: ['project', projectId] });
      return true;
    } catch (e) {
      editor.set({ error: errorText(e) });
      return false;
    }
  };

  if (project.error) return <PageError error={project.error} projectId={projectId} />;
  if (openError) return <PageError error={openError} projectId={projectId} />;
  if (image && image.projectId !== projectId) return <NotFound what="image" projectId={projectId} />;
  return (
    <div className="annotator">
      <h1 className="sr-only">Annotate {image?.fileName ?? `image ${imageId}`}</h1>
      <Toolbar
        mode={mode}
        onTool={setTool}
        onGo={go}
        hasPrev={!!prev}
        hasNext={!!next}
        onHelp={() => setHelp(true)}
      />
      <div className="stage-wrap">
        <Banners />
        {img ? (
          <Stage img={img} labels={labels} fitRef={fitRef} />
        ) : imgError ? (
          <p className="error" role="alert">
            {imgError}
          </p>
        ) : (
          <p className="muted">Loading image…</p>
        )}
      </div>
      <aside className="rail" aria-label="Annotation panel">
        <StatusPanel at={at} count={list.length} hasNext={!!next} testModel={!!models.data?.segment.test} />
        {img && <Candidates img={img} />}
        {mode === 'find_all' && <FindAllPanel />}
        {mode === 'find_all' && <RecipePanel projectId={projectId} />}
        <LabelsPanel labels={labels} onLabel={label} onAdd={addLabel} />
        <AssistsPanel />
        <AnnotationsPanel mode={mode} labels={labels} projectId={projectId} />
      </aside>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}

/** The conflict and offline banners above the stage. */
function Banners() {
  const editor = useEditorObject();
  const conflict = useEditor((s) => s.conflict);
  const offline = useEditor((s) => s.offline);
  return (
    <>
      {conflict && (
        <div className="banner banner-error" role="alert" data-testid="conflict">
          {conflict.message}{' '}
          <button type="button" onClick={() => void editor.reloadFromServer()}>
            Reload from server
          </button>{' '}
          <button type="button" onClick={() => void editor.keepMine()}>
            Keep mine
          </button>
        </div>
      )}
      {offline && (
        <div className="banner" role="status">
          {offline}
        </div>
      )}
    </>
  );
}

/** The current object's candidates (1/2/3), with the point and box tools. */
function Candidates({ img }: { img: HTMLImageElement }) {
  const editor = useEditorObject();
  const candidates = useEditor((s) => s.candidates);
  const chosen = useEditor((s) => s.chosen);
  const tool = useEditor((s) => s.tool);
  if (tool !== 'point' && tool !== 'box') return null;
  // The panel stays while prompting, at one height, so that the rail does not jump from prompt to prompt.
  if (!candidates || candidates.length < 2)
    return (
      <section className="panel" aria-label="Candidates">
        <h3>Candidates</h3>
        <p className="muted candidates-empty">
          Click an object: when the model offers several masks, they show here to choose with 1, 2 or 3.
        </p>
      </section>
    );
  return (
    <CandidatePicker
      img={img}
      candidates={candidates}
      chosen={chosen}
      onChoose={(k) => editor.prompts.choose(k)}
    />
  );
}
