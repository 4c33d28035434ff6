/**
 * A key just created, handed from the form that created it to the setup page it navigates to.
 * Only the key's hash is stored on the server, so this in-memory hand-over (gone on reload, never
 * written to storage) is the one way to show the whole key after a page change.
 */
export interface FreshKey {
  keyId: string;
  secret: string;
  dsn: string;
  endpoint: string;
}

const freshKeys = new Map<string, FreshKey>();

export function rememberFreshKey(logId: string, key: FreshKey): void {
  freshKeys.set(logId, key);
}

/** The key created for this log by the previous page, once: a second call returns undefined. */
export function takeFreshKey(logId: string): FreshKey | undefined {
  const key = freshKeys.get(logId);
  freshKeys.delete(logId);
  return key;
}
