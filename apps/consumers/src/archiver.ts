import { type ArchiveStore, archiveMessages } from "@faultline/archive";
import { decode, type Pipeline } from "./pipeline";

/**
 * The archiver: keeps every message in the archive so the search index can always be rebuilt.
 * Idempotent by message id: archiveMessages names a blob after the ids it holds, so a
 * redelivered batch overwrites its own blob, and readers drop the copies a differently composed
 * redelivery may leave.
 */
export function archiverPipeline(store: ArchiveStore): Pipeline {
  return [
    decode,
    {
      name: "archive",
      async run(batch) {
        if (batch.messages.length > 0) await archiveMessages(store, batch.messages);
      },
    },
  ];
}
