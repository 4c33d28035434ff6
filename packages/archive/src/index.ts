import type { ArchiveConfig } from "@faultline/config";
import { createFolderArchive } from "./folder";
import type { ArchiveStore } from "./types";

export * from "./types";
export { compareKeys, InvalidArchiveKeyError, MAX_KEY_LENGTH, MAX_SEGMENT_BYTES, validateKey } from "./keys";
export { archiveMessages, hourFolder, readArchivedMessages } from "./messages";

/**
 * The archive store the configuration names. Called once at process start; an unknown kind is
 * a startup error, never a silent fallback to the folder.
 */
export function createArchiveStore(config: ArchiveConfig): ArchiveStore {
  const kind = config.kind;
  switch (kind) {
    case "folder":
      return createFolderArchive({ dir: config.dir });
    default: {
      // Fails to compile when ArchiveConfig gains a kind this switch does not handle.
      const unknown: never = kind;
      throw new Error(`unknown archive store ${JSON.stringify(unknown)}; supported: "folder"`);
    }
  }
}
