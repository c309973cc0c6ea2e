// Errors as a person reads them: a sentence, with the stable code in small print; a missing page with a way back.
import { ApiError } from '../api.js';
import { errorCode, errorText } from '../util.js';
import { Link } from './Link.js';

/** An error the app shows: the message as a sentence, the code (E_…) in small print after it. */
export function ErrorText({ error }: { error: unknown }) {
  const code = errorCode(error);
  return (
    <>
      {errorText(error)}
      {code && (
        <>
          {' '}
          <small className="code">{code}</small>
        </>
      )}
    </>
  );
}

/** An error paragraph (role alert) when there is an error, else nothing. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      <ErrorText error={error} />
    </p>
  );
}

/** A page-level failure: a missing project or image is a not-found page; no token is the token form; else the error. */
export function PageError({ error, projectId }: { error: unknown; projectId?: number | undefined }) {
  if (error instanceof ApiError && error.status === 404)
    return <NotFound what={/image/i.test(error.message) ? 'image' : 'project'} projectId={projectId} />;
  if (error instanceof ApiError && error.status === 401) return <TokenForm />;
  return <ErrorAlert error={error} />;
}

/** A link to something that does not exist (or that this token may not see). */
export function NotFound({
  what,
  projectId,
}: {
  what: 'page' | 'project' | 'image';
  projectId?: number | undefined;
}) {
  return (
    <section className="not-found" data-testid="not-found">
      <h1>{what === 'page' ? 'No such page' : `This ${what} does not exist`}</h1>
      <p className="muted">
        {what === 'page'
          ? 'The address names no page of SegKit.'
          : `It may have been deleted, or your token may not give access to it.`}
      </p>
      <p>
        {what === 'image' && projectId !== undefined ? (
          <Link href={`/projects/${projectId}`}>Back to the project’s images</Link>
        ) : (
          <Link href="/">Back to the projects</Link>
        )}
      </p>
    </section>
  );
}

/** The page for a missing or wrong token: what happened, and a form to paste the token `segkit serve` printed. */
export function TokenForm() {
  return (
    <section className="token-page" data-testid="token-form">
      <h1>Sign in with your token</h1>
      <p>
        This server needs a token. Open the address that <code>segkit serve</code> printed (it ends in{' '}
        <code>?token=…</code>), or paste the token here.
      </p>
      <form method="get" action="/">
        <label>
          Token{' '}
          <input name="token" type="password" autoComplete="off" required minLength={8} aria-label="Token" />
        </label>{' '}
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
      <p className="muted">
        An admin makes tokens for others with <code>segkit users add NAME --role annotator</code>.
      </p>
    </section>
  );
}
