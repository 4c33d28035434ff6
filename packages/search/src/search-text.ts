import { SEVERITIES, type Severity } from "@faultline/core";
import { FILTER_FIELDS, type FieldFilters } from "./types";

/** What a search box's input means: free text, a severity filter and exact field filters. */
export interface ParsedSearchText {
  /** The words (and quoted phrases, quotes kept) that are not filters, joined by single spaces. */
  text: string;
  /** Severities named by `severity:…`, without duplicates, in the order given. */
  severities: Severity[];
  filters: FieldFilters;
}

const fieldByLowerName = new Map<string, (typeof FILTER_FIELDS)[number]>(
  FILTER_FIELDS.map((f) => [f.toLowerCase(), f]),
);
const severityByLowerName = new Map<string, Severity>(SEVERITIES.map((s) => [s.toLowerCase(), s]));

/** One piece of input: `raw` is what it looked like, for putting it back into the free text. */
interface Piece {
  raw: string;
  field?: string;
  value: string;
}

/**
 * Splits at whitespace outside quotes. A quote opens at the start of a piece or right after
 * `field:`; there are no escapes, and an unterminated quote runs to the end of the input, so
 * every input splits somehow (the search box must never answer with a syntax error).
 */
function splitPieces(input: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < input.length) {
    while (i < input.length && /\s/.test(input[i]!)) i++;
    if (i >= input.length) break;
    const start = i;
    let field: string | undefined;
    const fieldMatch = /^([A-Za-z]+):/.exec(input.slice(i, i + 40));
    if (fieldMatch) {
      field = fieldMatch[1]!;
      i += fieldMatch[0].length;
    }
    let value: string;
    if (input[i] === '"') {
      const close = input.indexOf('"', i + 1);
      const end = close === -1 ? input.length : close;
      value = input.slice(i + 1, end);
      i = close === -1 ? input.length : close + 1;
    } else {
      const valueStart = i;
      while (i < input.length && !/\s/.test(input[i]!)) i++;
      value = input.slice(valueStart, i);
    }
    pieces.push({ raw: input.slice(start, i), field, value });
  }
  return pieces;
}

/**
 * Parses what a user typed into the search box (the web site and the CLI share it):
 * - `severity:error` (also `severity:error,fatal`; names case-insensitive) filters by severity;
 * - `field:value` or `field:"quoted value"` for a field of FILTER_FIELDS (name case-insensitive,
 *   value exact) becomes a field filter; a repeated field keeps the last value;
 * - everything else, including `other:thing` and invalid values such as `statusCode:abc`, stays
 *   free text.
 */
export function parseSearchText(input: string): ParsedSearchText {
  const words: string[] = [];
  const severities: Severity[] = [];
  const filters: FieldFilters = {};
  for (const piece of splitPieces(input)) {
    if (piece.field !== undefined && applyFilter(piece.field, piece.value, severities, filters)) continue;
    words.push(piece.raw);
  }
  return { text: words.join(" "), severities, filters };
}

/** True if the piece was a filter and has been applied. */
function applyFilter(field: string, value: string, severities: Severity[], filters: FieldFilters): boolean {
  const lower = field.toLowerCase();
  if (lower === "severity") {
    const named = value.split(",").map((v) => severityByLowerName.get(v.trim().toLowerCase()));
    if (named.length === 0 || named.some((s) => s === undefined)) return false;
    for (const s of named as Severity[]) if (!severities.includes(s)) severities.push(s);
    return true;
  }
  const name = fieldByLowerName.get(lower);
  if (name === undefined || value === "") return false;
  if (name === "statusCode") {
    if (!/^\d{1,4}$/.test(value)) return false;
    filters.statusCode = Number(value);
  } else {
    filters[name] = value;
  }
  return true;
}
