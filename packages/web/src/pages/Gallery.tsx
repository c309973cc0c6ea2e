// A project's images: thumbnails with the selected mode's masks, per-mode status badges, counts, and upload by
// drag-and-drop (or the file picker).
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type DragEvent, useState } from 'react';
import { useStore } from 'zustand';
import { api, type Rejected } from '../api.js';
import { ErrorText, PageError } from '../components/Errors.js';
import { Link } from '../components/Link.js';
import { MaskThumb } from '../components/MaskThumb.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { MODE_NAMES, modeStore } from '../router.js';

export function Gallery({ projectId }: { projectId: number }) {
  const mode = useStore(modeStore, (s) => s.mode);
  const client = useQueryClient();
  const project = useQuery({ queryKey: ['project', projectId], queryFn: () => api.project(projectId) });
  const images = useQuery({ queryKey: ['images', projectId], queryFn: () => api.images(projectId) });
  const [drag, setDrag] = useState(false);
  const [upload, setUpload] = useState<Upload | null>(null);

  const send = async (files: File[]) => {
    if (!files.length) return;
    setUpload({ busy: `Uploading ${files.length} file(s)…` });
    try {
      const r = await api.upload(projectId, files);
      setUpload({ added: r.added.length, created: r.created, rejected: r.rejected });
      await client.invalidateQueries({ queryKey: ['images', projectId] });
    } catch (e) {
      setUpload({ error: e });
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDrag(false);
    void send([...e.dataTransfer.files]);
  };

  if (images.error) return <PageError error={images.error} projectId={projectId} />;
  const labels = project.data?.labels ?? [];
  return (
    <section
      aria-label="Images: drop files here to upload them"
      className={drag ? 'gallery dropping' : 'gallery'}
      onDragOver={(e) => {
        e.preventDefault();
        setDrag(true);
      }}
      onDragLeave={() => setDrag(false)}
      onDrop={onDrop}
    >
      <div className="toolbar">
        <h1>Images</h1>
        <span className="muted">
          {images.data ? `${images.data.total} images` : 'Loading…'} · showing {MODE_NAMES[mode]} annotations
        </span>
        <div className="spacer" />
        <label className="button">
          Upload images
          <input
            type="file"
            multiple
            accept="image/*"
            hidden
            onChange={(e) => void send([...(e.target.files ?? [])])}
          />
        </label>
      </div>
      <p className="muted drop-hint">Drop image files anywhere here to add them.</p>
      {upload && <UploadResult upload={upload} />}
      <ul className="grid" data-testid="gallery">
        {images.data?.items.map((im) => (
          <li key={im.id} className="tile" data-testid="tile" data-image-id={im.id}>
            <Link href={`/projects/${projectId}/images/${im.id}`} aria-label={`Annotate ${im.fileName}`}>
              <MaskThumb
                image={im}
                mode={mode}
                labels={labels}
                version={`${im.annotations[mode]}-${im.status[mode]}`}
              />
            </Link>
            <div className="tile-meta">
              <Link href={`/projects/${projectId}/images/${im.id}`} className="file-name">
                {im.fileName}
              </Link>
              <span className="count" data-testid="count">
                {im.annotations[mode]} {MODE_NAMES[mode]}
              </span>
              <StatusBadge name="inside-box" status={im.status.inside_box} reason={im.errors.inside_box} />
              <StatusBadge name="find-all" status={im.status.find_all} reason={im.errors.find_all} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

type Upload =
  | { busy: string }
  | { error: unknown }
  | { added: number; created: number; rejected: Rejected[] };

/** What an upload did: the images added, and each file refused with its reason, styled as an error. */
function UploadResult({ upload }: { upload: Upload }) {
  if ('busy' in upload)
    return (
      <p role="status" className="note">
        {upload.busy}
      </p>
    );
  if ('error' in upload)
    return (
      <p role="alert" className="error" data-testid="upload-error">
        Upload failed: <ErrorText error={upload.error} />
      </p>
    );
  const known = upload.added - upload.created;
  return (
    <div className="upload-result">
      <p role="status" className="note" data-testid="upload-added">
        {upload.created} new image(s) added{known > 0 ? `, ${known} already here` : ''}.
      </p>
      {upload.rejected.length > 0 && (
        <div role="alert" className="error" data-testid="upload-rejected">
          {upload.rejected.length} file(s) not added:
          <ul>
            {upload.rejected.map((r) => (
              <li key={r.file}>
                <span className="file-name">{r.file}</span>: {r.message}{' '}
                <small className="code">{r.code}</small>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
