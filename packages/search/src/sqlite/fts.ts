import { createHash } from "node:crypto";
import { searchableValues } from "../searchable";
import type { CanonicalMessage, Severity } from "@faultline/core";
import { FILTER_FIELDS, type FieldFilters } from "../types";

/*
 * How messages become FTS5 rows and queries become MATCH expressions.
 *
 * The FTS table has two columns:
 * - `keys`: one token per exact-match value (log id, severity, each filter field), so that every
 *   filter is a term inside the MATCH expression. FTS5 then walks the intersection of doclists
 *   newest-first (rowid DESC) and stops at LIMIT; a filter outside MATCH would make SQLite read
 *   every text match and discard the wrong ones, which is slow exactly when many messages match.
 * - `text`: everything free text searches.
 */

/**
 * The rowid is dateTime in ms times 2^20 plus a tiebreak, so rowid order is dateTime order and
 * FTS5 can return newest-first without sorting. 2^20 ties per ms is far more than arrives; a
 * full slot spills into the next ms (see allocation in the adapter).
 */
export const TIEBREAK_BITS = 20n;
export const SLOT = 1n << TIEBREAK_BITS;
/** |ms| * 2^20 must fit a signed 64-bit rowid: ±8.7e12 ms is roughly the years 1694..2245. */
const MAX_MS = 8_700_000_000_000;

/** Out-of-range times are clamped: such a message still gets a rowid, sorting at the edge. */
export function msToRowidBase(ms: number): bigint {
  if (Number.isNaN(ms)) throw new RangeError("search time bound is not a valid date");
  const clamped = Math.min(MAX_MS, Math.max(-MAX_MS, Math.floor(ms)));
  return BigInt(clamped) * SLOT;
}

/** The rowid slot's start for a message: its dateTime, or receivedAt if dateTime is unreadable. */
export function messageRowidBase(m: CanonicalMessage): bigint {
  let ms = Date.parse(m.dateTime);
  if (Number.isNaN(ms)) ms = Date.parse(m.receivedAt);
  return msToRowidBase(Number.isNaN(ms) ? 0 : ms);
}

/** Lower-case field names in tokens; none is a prefix of another, so tokens never collide. */
const KEY_FIELDS = ["log", "sev", ...FILTER_FIELDS.map((f) => f.toLowerCase())] as const;

/** Longer values are hashed rather than hex-encoded, to keep the term dictionary small. */
const MAX_INLINE_BYTES = 48;

/**
 * One FTS token for an exact value of a field: field name, then `x` and the value's UTF-8 bytes in
 * hex, or `h` and its SHA-256 for long values. Only [0-9a-z] is used, so the unicode61 tokenizer
 * keeps it as one token and the match is exact (case-sensitive, no stemming, no splitting).
 */
export function keyToken(field: (typeof KEY_FIELDS)[number], value: string): string {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length <= MAX_INLINE_BYTES) return `${field}x${bytes.toString("hex")}`;
  return `${field}h${createHash("sha256").update(bytes).digest("hex")}`;
}

export function keysColumn(m: CanonicalMessage): string {
  const tokens = [keyToken("log", m.logId), keyToken("sev", m.severity)];
  for (const field of FILTER_FIELDS) {
    const value = m[field];
    if (value !== undefined && value !== "") tokens.push(keyToken(lowerField(field), String(value)));
  }
  return tokens.join(" ");
}

function lowerField(field: (typeof FILTER_FIELDS)[number]): (typeof KEY_FIELDS)[number] {
  return field.toLowerCase() as (typeof KEY_FIELDS)[number];
}

/** The FTS `text` column: what free text searches (searchableValues), one value a line. */
export function textColumn(m: CanonicalMessage): string {
  return searchableValues(m).join("\n");
}

/**
 * Runs of what the unicode61 tokenizer keeps in tokens (its default categories L*, N*, Co);
 * everything else separates tokens, on both sides of the index.
 */
const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;

/** Shorter prefixes are taken as whole words: `a*` would merge half the index. */
const MIN_PREFIX_CHARS = 2;

/**
 * Free text as FTS5 terms: the tokens of every word and "quoted group", each quoted (so nothing
 * the user types is read as FTS5 syntax, e.g. AND, NEAR, `-`, `:` or `*`) and all ANDed. The
 * table uses detail=column — phrase queries are unsupported there, but it indexes twice as fast
 * — so `foo.bar` and "foo bar" match messages that have both words anywhere in the text.
 *
 * A prefix only where the user asks for it (`conn*`): FTS5 answers a prefix term without a
 * prefix index by merging the doclists of every matching term up front, which costs time in
 * proportion to the matches — the one thing newest-first with LIMIT otherwise avoids.
 * Returns null when the text holds no token at all.
 */
export function textTerms(text: string): string | null {
  const terms: string[] = [];
  const re = /"([^"]*)"?|[^\s"]+/g;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    const quoted = match[1] !== undefined;
    const word = quoted ? match[1]! : match[0];
    const tokens = word.match(TOKEN);
    if (!tokens) continue;
    const prefix = !quoted && word.endsWith("*") && tokens.at(-1)!.length >= MIN_PREFIX_CHARS;
    tokens.forEach((t, i) => {
      terms.push(prefix && i === tokens.length - 1 ? `"${t}" *` : `"${t}"`);
    });
  }
  // Repeating a term adds nothing but work.
  return terms.length === 0 ? null : [...new Set(terms)].join(" AND ");
}

export interface MatchInput {
  logId: string;
  text?: string;
  severities?: readonly Severity[];
  filters?: FieldFilters;
}

/** The whole query as one MATCH expression; see the comment at the top of this file. */
export function matchExpression(q: MatchInput): string {
  const parts = [`keys : "${keyToken("log", q.logId)}"`];
  if (q.severities && q.severities.length > 0) {
    const unique = [...new Set(q.severities)];
    parts.push(`keys : (${unique.map((s) => `"${keyToken("sev", s)}"`).join(" OR ")})`);
  }
  for (const field of FILTER_FIELDS) {
    const value = q.filters?.[field];
    if (value !== undefined) parts.push(`keys : "${keyToken(lowerField(field), String(value))}"`);
  }
  const terms = q.text === undefined ? null : textTerms(q.text);
  if (terms !== null) parts.push(`text : (${terms})`);
  return parts.join(" AND ");
}
