import type { Severity } from "@faultline/core";
import { isSeverity, SEVERITY_LIST } from "./severities";

/**
 * A search lives in the URL's query string, so that a search can be shared, bookmarked and
 * reloaded: `?q=…&severity=Error,Fatal&range=24h&page=<cursor>&page=<cursor>`.
 */
export const RANGE_PRESETS = [
  { id: "1h", label: "Last hour", ms: 60 * 60 * 1000 },
  { id: "24h", label: "Last 24 h", ms: 24 * 60 * 60 * 1000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 24 * 60 * 60 * 1000 },
  { id: "30d", label: "Last 30 days", ms: 30 * 24 * 60 * 60 * 1000 },
  { id: "all", label: "All time", ms: null },
] as const;

export type RangePresetId = (typeof RANGE_PRESETS)[number]["id"];
export type RangeId = RangePresetId | "custom";

export interface SearchState {
  query: string;
  severities: Severity[];
  range: RangeId;
  /** ISO instants, only for the custom range; either may be missing (open-ended). */
  from?: string;
  to?: string;
  /**
   * The cursors that led to the page shown, oldest-first: empty on the newest page. Keeping the
   * whole trail lets "Newer" step back without the server supporting backward cursors.
   */
  cursors: string[];
}

export const DEFAULT_RANGE: RangeId = "all";

export const emptySearch: SearchState = { query: "", severities: [], range: DEFAULT_RANGE, cursors: [] };

/** Only what `URLSearchParams` offers that we read, so server and client params both fit. */
interface ReadableParams {
  get(name: string): string | null;
  getAll(name: string): string[];
}

function validInstant(value: string | null): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Reads a search from the URL, ignoring what does not make sense rather than failing. */
export function parseSearchState(params: ReadableParams): SearchState {
  const severities = (params.get("severity") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(isSeverity);
  const rangeParam = params.get("range");
  const range: RangeId =
    rangeParam === "custom" || RANGE_PRESETS.some((p) => p.id === rangeParam)
      ? (rangeParam as RangeId)
      : DEFAULT_RANGE;
  return {
    query: params.get("q") ?? "",
    severities: SEVERITY_LIST.filter((s) => severities.includes(s)),
    range,
    from: range === "custom" ? validInstant(params.get("from")) : undefined,
    to: range === "custom" ? validInstant(params.get("to")) : undefined,
    cursors: params.getAll("page").filter((c) => c.length > 0),
  };
}

/** Writes a search to a query string (without "?"), leaving out defaults to keep links short. */
export function serializeSearchState(state: SearchState): string {
  const params = new URLSearchParams();
  if (state.query.trim()) params.set("q", state.query.trim());
  if (state.severities.length > 0) params.set("severity", state.severities.join(","));
  if (state.range !== DEFAULT_RANGE) params.set("range", state.range);
  if (state.range === "custom") {
    if (state.from) params.set("from", state.from);
    if (state.to) params.set("to", state.to);
  }
  for (const cursor of state.cursors) params.append("page", cursor);
  return params.toString();
}

/**
 * The time bounds to search. Preset ranges end "now" (open-ended, so live updates keep
 * arriving) and start at `now` minus the preset, with `now` rounded down to the minute so the
 * query (and its cache key) changes once a minute rather than on every render.
 */
export function searchBounds(state: SearchState, now: number): { from?: Date; to?: Date } {
  if (state.range === "custom") {
    return {
      from: state.from ? new Date(state.from) : undefined,
      to: state.to ? new Date(state.to) : undefined,
    };
  }
  const preset = RANGE_PRESETS.find((p) => p.id === state.range);
  if (!preset?.ms) return {};
  const minute = Math.floor(now / 60_000) * 60_000;
  return { from: new Date(minute - preset.ms) };
}

/** True when the search narrows anything down (used to tell "no messages yet" from "no matches"). */
export function isFiltered(state: SearchState): boolean {
  return state.query.trim() !== "" || state.severities.length > 0 || state.range !== "all";
}
