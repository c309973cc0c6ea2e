/**
 * Every user-facing failure in SegKit is a {@link SegkitError} with a stable `code`.
 * Codes never change meaning; each one is listed in `docs/errors.md` (a test keeps the two in sync).
 *
 * @example
 * try { decodeRle(rle) } catch (e) { if (e instanceof SegkitError) console.log(e.code) } // "E_RLE_INVALID"
 */
export class SegkitError extends Error {
  /** Stable, machine-readable code such as `E_IMAGE_DECODE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SegkitError';
    this.code = code;
  }
}

/**
 * One entry per error code: the subclass to throw, a one-line description for the docs, and the HTTP status the
 * server answers it with: 4xx for the caller's mistakes (400 unless said), 5xx for the server's own faults.
 */
function defineError<C extends string>(code: C, summary: string, status = 400) {
  const cls = class extends SegkitError {
    static readonly code: C = code;
    static readonly summary = summary;
    static readonly status = status;
    constructor(message: string, options?: { cause?: unknown }) {
      super(code, message, options);
    }
  };
  return cls;
}

/** A command line could not be parsed: unknown option, missing argument, bad value. */
export const UsageError = defineError('E_USAGE', 'Command-line arguments are missing, unknown or malformed.');
/** An API argument has the wrong type or value. */
export const InvalidArgumentError = defineError(
  'E_INVALID_ARGUMENT',
  'A function argument has the wrong type or is out of range.',
);
/** An input path does not exist. */
export const FileNotFoundError = defineError(
  'E_FILE_NOT_FOUND',
  'An input file or directory does not exist.',
  404,
);
/** An image or PNG could not be decoded (corrupt or truncated). */
export const ImageDecodeError = defineError(
  'E_IMAGE_DECODE',
  'An image could not be decoded: it is corrupt, truncated or empty.',
);
/** An image is in a format SegKit does not read. */
export const ImageFormatError = defineError(
  'E_IMAGE_UNSUPPORTED',
  'The file is not an image format SegKit reads (PNG, JPEG, WebP, TIFF, GIF, AVIF).',
);
/** An image has more pixels than the configured limit. */
export const ImageTooLargeError = defineError(
  'E_IMAGE_TOO_LARGE',
  'An image has more pixels than the limit (default 100 megapixels).',
  413,
);
/** A mask's size differs from its image or from another mask. */
export const MaskSizeMismatchError = defineError(
  'E_MASK_SIZE_MISMATCH',
  "A mask's width and height differ from its image's or from the other mask's.",
);
/** A mask object is malformed. */
export const MaskInvalidError = defineError(
  'E_MASK_INVALID',
  'A mask object is malformed: bad dimensions, wrong data length, or values other than 0 and 1.',
);
/** A COCO RLE is malformed. */
export const RleInvalidError = defineError(
  'E_RLE_INVALID',
  'A COCO RLE is malformed: counts do not sum to h×w, a bad size, or a bad counts string.',
);
/** A polygon is malformed. */
export const PolygonInvalidError = defineError(
  'E_POLYGON_INVALID',
  'A polygon has fewer than 3 points, an odd number of coordinates, or non-finite coordinates.',
);
/** A box is malformed or lies outside the image. */
export const BoxInvalidError = defineError(
  'E_BOX_INVALID',
  'A box [x, y, w, h] is malformed, empty, or lies outside the image.',
);
/** A JSON input could not be parsed or has the wrong shape. */
export const JsonInvalidError = defineError(
  'E_JSON_INVALID',
  'A JSON input cannot be parsed or has the wrong shape.',
);
/** An output could not be written. */
export const WriteError = defineError(
  'E_WRITE_FAILED',
  'An output file could not be written (missing directory, permissions, disk full).',
  500,
);

/** A model name is not a preset, an imported model, a local directory or an `org/name` hub id. */
export const ModelUnknownError = defineError(
  'E_MODEL_UNKNOWN',
  'A model reference is not a preset, an imported name, a model directory or an org/name hub id.',
);
/** A model is not in the cache (or offline mode forbids fetching it). */
export const ModelMissingError = defineError(
  'E_MODEL_MISSING',
  'A model is not downloaded yet, or offline mode (SEGKIT_OFFLINE=1) forbids fetching it.',
  422,
);
/** A cached model file is truncated or not a valid model. */
export const ModelCorruptError = defineError(
  'E_MODEL_CORRUPT',
  'A cached model file is truncated or cannot be loaded; pulling it again fixes it.',
  422,
);
/** A model exists but is of a type the requested task does not support. */
export const ModelUnsupportedError = defineError(
  'E_MODEL_UNSUPPORTED',
  'A model is of a type (config.json model_type) that this task cannot use.',
  422,
);
/** A download failed: HTTP error, network failure or a size mismatch. */
export const DownloadError = defineError(
  'E_DOWNLOAD_FAILED',
  'A model file could not be downloaded: HTTP error, network failure, or a size that does not match.',
  502,
);
/** A prompt coordinate lies outside the image. */
export const PromptOutOfBoundsError = defineError(
  'E_PROMPT_OUT_OF_BOUNDS',
  'A prompt point or box lies outside the image.',
);
/** A prompt is malformed (empty point list, bad label, wrong shape). */
export const PromptInvalidError = defineError(
  'E_PROMPT_INVALID',
  'A prompt is malformed: an empty point list, a bad label, or a point or box of the wrong shape.',
);
/** A prompt of a kind (box, points, box + points) that no decoder graph of the model can take. */
export const PromptUnsupportedError = defineError(
  'E_PROMPT_UNSUPPORTED',
  "A prompt (a box, points, or both together) that the model's decoder graphs cannot take; the message names models that can.",
);

/** find-all was called with neither a text prompt nor exemplar boxes. */
export const FindAllNeedsPromptError = defineError(
  'E_FIND_ALL_NEEDS_PROMPT',
  'find-all requires a text prompt or exemplar boxes.',
);
/** Inside-box processing of an image that has no boxes: nothing to segment. */
export const NoBoxesError = defineError(
  'E_NO_BOXES',
  'Inside-box processing found no boxes to segment on the image.',
);
/** A dataset's annotations are malformed; the message lists every problem with its file and JSON path or line. */
export const DatasetInvalidError = defineError(
  'E_DATASET_INVALID',
  'A dataset has malformed annotations; every problem is listed with its file and JSON path or line.',
);
/** A dataset's format cannot be recognised, or a format name is unknown. */
export const DatasetFormatError = defineError(
  'E_DATASET_FORMAT',
  'A dataset folder or file is in no format SegKit recognises, or a --to/--from format name is unknown.',
);
/** A path inside a dataset or archive points outside it. */
export const UnsafePathError = defineError(
  'E_UNSAFE_PATH',
  'A path in an annotation file or archive points outside the dataset (.., absolute path, drive letter, backslash).',
);
/** An archive breaks a safety limit or holds a forbidden entry. */
export const ArchiveUnsafeError = defineError(
  'E_ARCHIVE_UNSAFE',
  'An archive holds a symlink, too many entries, too many bytes, or a suspicious compression ratio.',
);
/** A request carries no valid token (server). */
export const UnauthorizedError = defineError(
  'E_UNAUTHORIZED',
  'A server request has no token, or one that is unknown or revoked.',
  401,
);
/** The caller's role does not allow the action (server). */
export const ForbiddenError = defineError(
  'E_FORBIDDEN',
  "The caller's role does not allow this action (a viewer writing, an annotator managing projects or users).",
  403,
);
/** A project, image, annotation, job or route that does not exist, or that the caller may not see (server). */
export const NotFoundError = defineError(
  'E_NOT_FOUND',
  'A project, image, annotation, job or route does not exist, or the caller is not a member of its project.',
  404,
);
/** An update based on a stale version (server). */
export const ConflictError = defineError(
  'E_CONFLICT',
  'An update carried a stale version (If-Match): someone changed the record since it was read; reload and retry.',
  409,
);
/** A request body, upload or prompt list over its limit (server). */
export const TooLargeError = defineError(
  'E_TOO_LARGE',
  'A request body, an upload (bytes or files) or a prompt list is over the server’s limit.',
  413,
);
/** A server fault that is not the caller's: the body says only this, the server log has the details (server). */
export const InternalError = defineError(
  'E_INTERNAL',
  'The server failed on its own (a bug, not a bad request): the answer is a 500 and the server log has the details.',
  500,
);
/** The browser app got no answer from the server, or an answer without SegKit's error body (web). */
export const NetworkError = defineError(
  'E_NETWORK',
  'The browser app could not reach the server, or got an answer that is not the server’s (a proxy error).',
  502,
);
/** A classifier head used with another embedding model or dimension than it was trained on (analytics). */
export const HeadMismatchError = defineError(
  'E_HEAD_MISMATCH',
  'A classifier head was trained on embeddings of another model or dimension than the ones it is used with.',
);
/** A classifier head folder that cannot be read: no head.json, another format version, weights of the wrong size. */
export const HeadInvalidError = defineError(
  'E_HEAD_INVALID',
  'A classifier head folder is unreadable: head.json is missing or of another format version, or its weights do not match it.',
);
/** A recipe ZIP or cascade that cannot be used: unreadable, of another schema version, unsafe or incomplete. */
export const RecipeInvalidError = defineError(
  'E_RECIPE_INVALID',
  'A recipe ZIP or a cascade file is unreadable: not a ZIP, another schema version, an unexpected or unsafe entry, a crop that does not decode.',
);
/** A recipe applied with another embedding model than the one it was mined with. */
export const RecipeModelMismatchError = defineError(
  'E_RECIPE_MODEL_MISMATCH',
  'A recipe was mined with another embedding model than the one available to apply it.',
  422,
);

/** A state-changing request authenticated by cookie came from another site (server). */
export const CsrfError = defineError(
  'E_CSRF',
  'A state-changing request carried the session cookie but came from another origin, so it was refused.',
  403,
);
/** Too many inference calls in flight for one token (server). */
export const RateLimitedError = defineError(
  'E_RATE_LIMITED',
  'A client has too many inference calls in flight at once; wait for one to finish and retry.',
  429,
);
/** A URL that points at a loopback, link-local or private address, or redirects there (downloads). */
export const UrlRefusedError = defineError(
  'E_URL_REFUSED',
  'A download URL, or a redirect it led to, points at a loopback, link-local or private address that is not allowed.',
);
/** The disk holding the data directory is full (server, CLI). */
export const NoSpaceError = defineError(
  'E_NO_SPACE',
  'The disk holding the data directory is full: nothing was written, and the write can be retried once space is freed.',
  507,
);
/** The data directory or database cannot be written (server, CLI). */
export const ReadOnlyError = defineError(
  'E_READ_ONLY',
  'The data directory or its database is read-only: nothing was written; reads still work.',
  503,
);
/** A service the server was set up with (PostgreSQL, Redis, an S3 store) does not answer (server, CLI). */
export const ServiceUnavailableError = defineError(
  'E_SERVICE_UNAVAILABLE',
  'A service the server was started with (PostgreSQL, Redis or the S3 store) cannot be reached or refused the connection.',
  503,
);
/** A native module (better-sqlite3, onnxruntime-node, sharp) is not built, or was built for another Node.js. */
export const NativeModuleError = defineError(
  'E_NATIVE_MODULE',
  'A native module that SegKit needs (better-sqlite3, onnxruntime-node or sharp) is missing its compiled part or was built for another Node.js version.',
  500,
);

/** Every error class, in documentation order. */
export const ERROR_CLASSES = [
  UsageError,
  InvalidArgumentError,
  FileNotFoundError,
  ImageDecodeError,
  ImageFormatError,
  ImageTooLargeError,
  MaskSizeMismatchError,
  MaskInvalidError,
  RleInvalidError,
  PolygonInvalidError,
  BoxInvalidError,
  JsonInvalidError,
  WriteError,
  ModelUnknownError,
  ModelMissingError,
  ModelCorruptError,
  ModelUnsupportedError,
  DownloadError,
  PromptOutOfBoundsError,
  PromptInvalidError,
  PromptUnsupportedError,
  FindAllNeedsPromptError,
  NoBoxesError,
  DatasetInvalidError,
  DatasetFormatError,
  UnsafePathError,
  ArchiveUnsafeError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  TooLargeError,
  InternalError,
  NetworkError,
  HeadMismatchError,
  HeadInvalidError,
  RecipeInvalidError,
  RecipeModelMismatchError,
  CsrfError,
  RateLimitedError,
  UrlRefusedError,
  NoSpaceError,
  ReadOnlyError,
  ServiceUnavailableError,
  NativeModuleError,
] as const;

/** The HTTP status of every error code (what the server answers it with). */
export const ERROR_STATUS: Readonly<Record<string, number>> = Object.fromEntries(
  ERROR_CLASSES.map((c) => [c.code, c.status]),
);

/** Every stable error code with its one-line summary. */
export const ERROR_CODES: Readonly<Record<string, string>> = Object.fromEntries(
  ERROR_CLASSES.map((c) => [c.code, c.summary]),
);

const NATIVE: [RegExp, string][] = [
  [/better[-_]sqlite3/i, 'better-sqlite3'],
  [/onnxruntime/i, 'onnxruntime-node'],
  [/sharp/i, 'sharp'],
];

/**
 * The one-line coded error for a native module that failed to load (no compiled binding, or one compiled for another
 * Node.js version), naming the module and the command that fixes it; undefined for any other error.
 */
export function asNativeModuleError(e: unknown): SegkitError | undefined {
  if (!(e instanceof Error) || isSegkitError(e)) return undefined;
  const text = `${e.message} ${(e as { code?: string }).code ?? ''}`;
  const broken =
    /Could not locate the bindings file|NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|Cannot find module [^\n]*\.node\b|Could not load the "sharp" module|invalid ELF header|wrong ELF class/i.test(
      text,
    );
  if (!broken) return undefined;
  const name = NATIVE.find(([re]) => re.test(text))?.[1];
  const why = /NODE_MODULE_VERSION/.test(text)
    ? 'was built for another Node.js version'
    : 'has no compiled part';
  const fix = name === 'sharp' ? 'npm install sharp' : `npm rebuild ${name ?? '<module>'}`;
  const note =
    name === 'better-sqlite3'
      ? ' (it compiles: python3, make and a C++ compiler are needed)'
      : name === 'sharp'
        ? ' (its prebuilt binary for this platform comes from the npm registry)'
        : '';
  return new NativeModuleError(
    `${name ?? 'A native module'} ${why} (${process.version}); run \`${fix}\` in the folder SegKit is installed in${note}`,
    { cause: e },
  );
}

/** True when `e` is a SegkitError (optionally with the given code). */
export function isSegkitError(e: unknown, code?: string): e is SegkitError {
  return e instanceof SegkitError && (code === undefined || e.code === code);
}
