/** Page size rules shared by every adapter, so that all of them reject the same input. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Thrown for a cursor that no search of this kind of index returned. */
export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";
}

/** The page size to use; throws RangeError outside 1..200 rather than guessing what was meant. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RangeError(`search limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}`);
  }
  return limit;
}

/**
 * Cursors are opaque to callers (they travel through URLs): a version letter and the adapter's
 * position, base64url-encoded so that nobody is tempted to build one by hand.
 */
export function encodeCursor(position: string): string {
  return Buffer.from(`1:${position}`, "utf8").toString("base64url");
}

/** The position inside a cursor of encodeCursor's making; throws InvalidCursorError otherwise. */
export function decodeCursor(cursor: string, position: RegExp = /^-?\d{1,19}$/): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const value = text.startsWith("1:") ? text.slice(2) : "";
  if (!position.test(value)) throw new InvalidCursorError(`not a search cursor: ${JSON.stringify(cursor)}`);
  return value;
}
