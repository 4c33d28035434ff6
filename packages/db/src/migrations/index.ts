import type { Migration } from "kysely/migration";
import * as initial from "./0001-initial";
import * as burstCounts from "./0002-burst-counts";

/**
 * Every migration, by name. Listed in code rather than found in a folder because the apps are
 * bundled by esbuild into one file, where there is no folder to read. Names sort in the order
 * they must run; append new ones, never edit a released one.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001-initial": initial,
  "0002-burst-counts": burstCounts,
};
