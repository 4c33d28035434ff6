import type { SearchConfig } from "@faultline/config";
import { createSqliteSearchIndex } from "./sqlite/index";
import type { SearchIndex } from "./types";

export * from "./types";
export { parseSearchText, type ParsedSearchText } from "./search-text";
export { DEFAULT_PAGE_SIZE, InvalidCursorError, MAX_PAGE_SIZE } from "./paging";

/** The kinds createSearchIndex knows, for its error message. */
const SEARCH_KINDS = ["sqlite", "elasticsearch"] as const satisfies readonly SearchConfig["kind"][];

/**
 * The search index the configuration names. Called once at process start; an unknown kind is a
 * startup error, never a silent fallback to SQLite. The Elasticsearch adapter is imported only
 * when chosen, so processes on the embedded default never load its client.
 */
export async function createSearchIndex(config: SearchConfig): Promise<SearchIndex> {
  const kind = config.kind;
  switch (kind) {
    case "sqlite":
      return createSqliteSearchIndex({ file: config.file });
    case "elasticsearch": {
      const { createElasticsearchSearchIndex } = await import("./elasticsearch/index");
      return createElasticsearchSearchIndex({ url: config.url, indexPrefix: config.indexPrefix });
    }
    default: {
      // Fails to compile when SearchConfig gains a kind this switch does not handle.
      const unknown: never = kind;
      throw new Error(
        `unknown search engine ${JSON.stringify(unknown)}; supported: ${SEARCH_KINDS.map((k) => JSON.stringify(k)).join(", ")}`,
      );
    }
  }
}
