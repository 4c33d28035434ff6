import type { Severity } from "@faultline/core";

/**
 * Severities, lowest first. Kept here rather than imported from @faultline/core at run time
 * because core's entry point also loads node:crypto, which has no place in the browser bundle;
 * the Record type makes this fail to compile when core gains or renames a severity.
 */
const rank: Record<Severity, number> = {
  Verbose: 0,
  Debug: 1,
  Information: 2,
  Warning: 3,
  Error: 4,
  Fatal: 5,
};

export const SEVERITY_LIST = (Object.keys(rank) as Severity[]).sort((a, b) => rank[a] - rank[b]);

export function isSeverity(value: string): value is Severity {
  return Object.hasOwn(rank, value);
}
