import { type Db, openDb } from "@faultline/db";
import { createSearchIndex, type SearchIndex } from "@faultline/search";
import { getConfig } from "./config";

/** What tRPC procedures and server pages work with: opened once per server process. */
export interface Services {
  db: Db;
  search: SearchIndex;
  /** Where SDKs send messages; shown in setup snippets and DSNs. */
  publicIngestUrl: string;
}

/**
 * Kept on globalThis because `next dev` re-evaluates modules on every edit; a module-level
 * variable would open a new SQLite connection (and leak the old one) each time.
 */
const holder = globalThis as typeof globalThis & { faultlineServices?: Promise<Services> };

export function getServices(): Promise<Services> {
  holder.faultlineServices ??= open().catch((error: unknown) => {
    // Do not cache a failure (e.g. the data folder was not there yet): the next request retries.
    holder.faultlineServices = undefined;
    throw error;
  });
  return holder.faultlineServices;
}

async function open(): Promise<Services> {
  const config = getConfig();
  const db = openDb(config.db);
  const search = await createSearchIndex(config.search);
  return { db, search, publicIngestUrl: config.publicIngestUrl };
}
