import type { SearchConfig } from "@faultline/config";
import { createSqliteSearchIndex } from "./sqlite/index";
import type { SearchIndex } from "./types";

export * from "./types";
export { parseSearchText, type ParsedSearchText } from "./search-text";
export { DEFAULT_PAGE_SIZE, InvalidCursorError, MAX_PAGE_SIZE } from "./paging";

/**
 * The search index the configuration names. Called once at process start; an unknown kind is a
 * startup error, never a silent fallback to SQLite.
 */
export function createSearchIndex(config: SearchConfig): SearchIndex {
  const kind = config.kind;
  switch (kind) {
    case "sqlite":
      return createSqliteSearchIndex({ file: config.file });
    default: {
      // Fails to compile when SearchConfig gains a kind this switch does not handle.
      const unknown: never = kind;
      throw new Error(`unknown search engine ${JSON.stringify(unknown)}; supported: "sqlite"`);
    }
  }
}
