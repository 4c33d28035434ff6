import type { SearchIndex } from "@faultline/search";
import { decode, type Pipeline } from "./pipeline";

/**
 * The indexer: makes every message searchable. Idempotent because the index keeps the first
 * copy of a message id and ignores redelivered ones.
 */
export function indexerPipeline(search: SearchIndex): Pipeline {
  return [
    decode,
    {
      name: "index",
      async run(batch) {
        if (batch.messages.length > 0) await search.index(batch.messages);
      },
    },
  ];
}
