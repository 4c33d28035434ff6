/**
 * The one error type domain code throws. The code is mapped to an HTTP or tRPC status in exactly
 * one place per app (ingest's error handler, web's tRPC setup).
 */
export type FaultlineErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "TOO_MANY_REQUESTS"
  | "UNAVAILABLE";

export class FaultlineError extends Error {
  override readonly name = "FaultlineError";
  constructor(
    readonly code: FaultlineErrorCode,
    message: string,
    /** Per-field problems for BAD_REQUEST, e.g. `{ path: "severity", message: "..." }`. */
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export const HTTP_STATUS: Record<FaultlineErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
};
