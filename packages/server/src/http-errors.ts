// One error shape for every failure: {"error": {"code", "message"}}. A user's mistake is a 4xx with a stable code;
// anything else is a 500 with no internals in the body (the log keeps the details).
import { ERROR_STATUS, isSegkitError } from '@segkit/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isNumberRefused } from './db/portable.js';
import { storageError } from './security.js';

/** The HTTP status of a SegKit error code, as its definition gives it (`ERROR_STATUS`); 400 for an unknown code. */
export const statusOf = (code: string) => ERROR_STATUS[code] ?? 400;

export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.status(status).send({ error: { code, message: message.split('\n')[0] } });
}

/** Fastify's own errors (validation, body parsing, size limits, multipart) mapped to coded 4xx answers. */
function fastifyError(e: FastifyError): [number, string, string] | undefined {
  if (e.validation) return [400, 'E_INVALID_ARGUMENT', `Invalid request: ${e.message}`];
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return [413, 'E_TOO_LARGE', e.message];
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, 'E_JSON_INVALID', `The request body is not valid JSON: ${e.message}`];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return [415, 'E_USAGE', e.message];
  }
  if (e instanceof SyntaxError)
    return [400, 'E_JSON_INVALID', `The request body is not valid JSON: ${e.message}`];
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return [e.statusCode, 'E_INVALID_ARGUMENT', e.message];
  return undefined;
}

export function errorHandler(e: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const storage = storageError(e);
  if (storage && isSegkitError(storage)) {
    req.log.warn({ err: e }, 'storage failure');
    return sendError(reply, statusOf(storage.code), storage.code, storage.message);
  }
  if (isNumberRefused(e))
    return sendError(
      reply,
      400,
      'E_INVALID_ARGUMENT',
      'A number in the request is out of the range the database stores',
    );
  if (isSegkitError(e, 'E_RATE_LIMITED')) reply.header('retry-after', '1');
  if (isSegkitError(e)) return sendError(reply, statusOf(e.code), e.code, e.message);
  const known = fastifyError(e);
  if (known) return sendError(reply, ...known);
  req.log.error({ err: e }, 'internal error');
  return sendError(reply, 500, 'E_INTERNAL', 'Internal server error; the server log has the details');
}
