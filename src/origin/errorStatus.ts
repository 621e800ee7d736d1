import { ErrorCode, isSmoothpubError, type ErrorCodeValue } from '../errors.js';

/** What a failed request tells the client: the status and a stable code, never a path. */
export interface ErrorOutcome {
  status: number;
  code: string;
}

/**
 * The ONE place where errors become HTTP statuses. A request the client got wrong is
 * 4xx before it reaches here; what arrives is a presentation on disk that cannot be
 * served (500 with its stable code, for the operator's monitoring) or a bug ('internal').
 */
const STATUS: Partial<Record<ErrorCodeValue, number>> = {
  [ErrorCode.BAD_URL]: 400,
  // A source named by the .ism vanished between listing and opening it.
  [ErrorCode.READ_FAILED]: 404,
  [ErrorCode.STORE_NOT_FOUND]: 404,
  [ErrorCode.STORE_REQUEST]: 502,
  [ErrorCode.STORE_AUTH]: 502,
};

export function errorOutcome(e: unknown): ErrorOutcome {
  if (isSmoothpubError(e)) return { status: STATUS[e.code] ?? 500, code: e.code };
  return { status: 500, code: 'internal' };
}
