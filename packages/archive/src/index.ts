import type { ArchiveConfig } from "@faultline/config";
import { createFolderArchive } from "./folder";
import type { ArchiveStore } from "./types";

export * from "./types";
export { compareKeys, InvalidArchiveKeyError, MAX_KEY_LENGTH, MAX_SEGMENT_BYTES, validateKey } from "./keys";
export { archiveMessages, hourFolder, readArchivedMessages } from "./messages";

/** The kinds createArchiveStore knows, for the error about an unknown one. */
const KNOWN_KINDS = ["folder", "azure-blob"] as const satisfies readonly ArchiveConfig["kind"][];

/**
 * The archive store the configuration names. Called once at process start; an unknown kind is
 * a startup error, never a silent fallback to the folder. Asynchronous because a remote store
 * checks its connection (and creates its container) before it is handed out, and because the
 * Azure SDK is loaded only when Azure is chosen, so processes on the folder store never load it.
 */
export async function createArchiveStore(config: ArchiveConfig): Promise<ArchiveStore> {
  const kind = config.kind;
  switch (kind) {
    case "folder":
      return createFolderArchive({ dir: config.dir });
    case "azure-blob": {
      const { createAzureBlobArchive } = await import("./azure-blob");
      return createAzureBlobArchive({
        connectionString: config.connectionString,
        container: config.container,
      });
    }
    default: {
      // Fails to compile when ArchiveConfig gains a kind this switch does not handle.
      const unknown: never = kind;
      throw new Error(
        `unknown archive store ${JSON.stringify(unknown)}; supported: ${KNOWN_KINDS.map((k) => JSON.stringify(k)).join(", ")}`,
      );
    }
  }
}
