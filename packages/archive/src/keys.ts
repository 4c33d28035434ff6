/**
 * Archive keys are the same for every store, so a key valid for the local folder is valid for
 * Azure Blob Storage and the other way round: '/'-separated segments of at most 255 UTF-8 bytes
 * (a file name's limit), at most 1024 characters in all (Azure's blob name limit).
 */
export const MAX_KEY_LENGTH = 1024;
export const MAX_SEGMENT_BYTES = 255;

/** Thrown for a key that no store accepts; the message says which rule it breaks. */
export class InvalidArchiveKeyError extends Error {
  override readonly name = "InvalidArchiveKeyError";
}

// Control characters break file names and HTTP headers; a backslash is a separator on Windows
// and Azure turns it into '/'. U+FFFE and U+FFFF cannot appear in XML, the format of blob
// listings: Azure percent-encodes such names, but Azurite fails the whole listing (HTTP 500).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const FORBIDDEN = /[\u0000-\u001f\u007f\\\ufffe\uffff]/;
// A surrogate outside a pair has no UTF-8 form: a file name would get U+FFFD instead and Azure's
// client cannot put it in a URL.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why the segment is invalid, or null if it is fine. */
function segmentProblem(segment: string): string | null {
  if (segment === "") return "has an empty segment (a leading, trailing or doubled '/')";
  // '.' and '..' would leave the folder; other leading dots are kept for the stores' own
  // temporary files, which must never show up in a listing.
  if (segment.startsWith(".")) return `has a segment starting with '.' (${JSON.stringify(segment)})`;
  if (FORBIDDEN.test(segment)) return "contains a control character, a backslash, U+FFFE or U+FFFF";
  if (LONE_SURROGATE.test(segment)) return "contains an unpaired surrogate (not valid UTF-16)";
  if (Buffer.byteLength(segment, "utf8") > MAX_SEGMENT_BYTES) {
    return `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return null;
}

/** The key's segments; throws InvalidArchiveKeyError naming the broken rule. */
export function keySegments(key: string): string[] {
  if (key.length === 0) throw new InvalidArchiveKeyError("invalid archive key: empty");
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidArchiveKeyError(`invalid archive key: longer than ${MAX_KEY_LENGTH} characters`);
  }
  if (key.startsWith("/"))
    throw new InvalidArchiveKeyError(`invalid archive key ${JSON.stringify(key)}: absolute`);
  const segments = key.split("/");
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem !== null)
      throw new InvalidArchiveKeyError(`invalid archive key ${JSON.stringify(key)}: ${problem}`);
  }
  return segments;
}

/** Throws InvalidArchiveKeyError unless every store accepts the key. */
export function validateKey(key: string): void {
  keySegments(key);
}

/**
 * A list prefix split into the folders it names in full and the start of the next name
 * ("a/b/c" → folders [a, b], name "c"); null if no valid key can start with it, so a listing
 * is empty without touching the store.
 */
export function splitPrefix(prefix: string): { folders: string[]; name: string } | null {
  const cut = prefix.lastIndexOf("/");
  const folders = cut === -1 ? [] : prefix.slice(0, cut).split("/");
  if (folders.some((f) => segmentProblem(f) !== null)) return null;
  const name = prefix.slice(cut + 1);
  if (name.startsWith(".") || FORBIDDEN.test(name)) return null;
  return { folders, name };
}

/**
 * Key order: by Unicode code point, which is the order of the keys' UTF-8 bytes — what blob
 * stores list in. Plain `<` compares UTF-16 units and puts astral characters (emoji) before
 * U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    // A surrogate stands for a code point above every BMP character.
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
