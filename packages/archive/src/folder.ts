import { randomBytes } from "node:crypto";
import { type Dirent, promises as fs } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { compareKeys, keySegments, splitPrefix } from "./keys";
import { type ArchiveEntry, ArchiveNotFoundError, type ArchiveStore } from "./types";

export interface FolderArchiveOptions {
  /** The archive's root folder; created on the first put. */
  dir: string;
}

/**
 * The archive in a local folder: a key is a path below `dir`. Puts are atomic (a reader sees
 * the old blob or the new one, never a part) and durable once they resolve (the file and the
 * folder entries are fsynced). One limitation blob stores do not have: a key cannot be both a
 * blob and a folder ("a" and "a/b"); the archive's own layout never does that.
 */
export function createFolderArchive({ dir }: FolderArchiveOptions): ArchiveStore {
  const root = resolve(dir);
  let closed = false;
  const open = () => {
    if (closed) throw new Error(`archive ${root} is closed`);
  };

  return {
    description: `folder (${root})`,

    async put(key, data) {
      open();
      const path = join(root, ...keySegments(key));
      const folder = dirname(path);
      await makeFolders(folder);
      // Written beside the target so that the rename stays on one file system and is atomic;
      // the leading dot keeps it out of listings (keys cannot start a segment with '.').
      const temp = join(folder, `.tmp-${randomBytes(8).toString("hex")}`);
      const file = await fs.open(temp, "wx");
      try {
        await file.writeFile(data);
        await file.sync();
      } catch (error) {
        await file.close();
        await fs.rm(temp, { force: true });
        throw error;
      }
      await file.close();
      try {
        await fs.rename(temp, path);
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw error;
      }
      // The rename is durable only once the folder's entry list is on disk.
      await syncFolder(folder);
    },

    async get(key) {
      open();
      const path = join(root, ...keySegments(key));
      try {
        const bytes = await fs.readFile(path);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (error) {
        if (isMissing(error)) throw new ArchiveNotFoundError(`no archive entry ${JSON.stringify(key)}`);
        throw error;
      }
    },

    async *list(prefix) {
      open();
      const split = splitPrefix(prefix);
      if (split === null) return;
      const keyPrefix = split.folders.map((f) => `${f}/`).join("");
      yield* walk(join(root, ...split.folders), keyPrefix, split.name);
    },

    async close() {
      closed = true;
    },
  };
}

/**
 * Entries below a folder in key order. Sorting a folder's names with '/' appended to sub-folders
 * gives key order without reading ahead: every key inside "b" starts with "b/", which sorts
 * exactly where "b/" does among its siblings ("b-c" < "b.txt" < "b/…" < "b0").
 */
async function* walk(folder: string, keyPrefix: string, namePrefix: string): AsyncGenerator<ArchiveEntry> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const named = entries
    .filter(
      (e) => !e.name.startsWith(".") && e.name.startsWith(namePrefix) && (e.isFile() || e.isDirectory()),
    )
    .map((e) => ({ entry: e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
    .sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  for (const { entry } of named) {
    const path = join(folder, entry.name);
    const key = `${keyPrefix}${entry.name}`;
    if (entry.isDirectory()) {
      yield* walk(path, `${key}/`, "");
    } else {
      try {
        yield { key, size: (await fs.stat(path)).size };
      } catch (error) {
        // Removed between readdir and stat: it is no longer there to list.
        if (!isMissing(error)) throw error;
      }
    }
  }
}

/** Creates the folder and its missing parents, and makes their entries durable. */
async function makeFolders(folder: string): Promise<void> {
  const first = await fs.mkdir(folder, { recursive: true });
  if (first === undefined) return;
  // Every folder from the first one created down to `folder` is a new entry in its parent.
  for (let created = folder; ; created = dirname(created)) {
    await syncFolder(dirname(created));
    if (created === first || dirname(created) === created) break;
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}
