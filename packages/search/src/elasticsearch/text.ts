import type { CanonicalMessage } from "@faultline/core";
import { searchableValues } from "../searchable";

/*
 * Free text in Elasticsearch: how a message becomes the `searchText` field and how the user's
 * text becomes query clauses on it.
 *
 * SearchQuery promises that punctuation separates words (`System.Foo` is system + foo) and that
 * matching ignores case and accents. The standard analyzer does neither completely: its UAX#29
 * tokenizer keeps `system.foo`, `example.com` or `foo.bar` as one token and it has no accent
 * folding. The filters and tokenizers that could fix that (asciifolding, pattern, word_delimiter,
 * mapping char filter) live in the analysis-common module, which a core-only server lacks. So the
 * adapter does that part itself, once per value, on both sides: fold (NFKD, drop combining marks,
 * lower-case), then keep only runs of letters, digits and private-use characters (the same
 * classes as the SQLite tokenizer), joined by spaces. The standard analyzer then only splits at
 * those spaces (and CJK ideographs into single characters, identically on both sides).
 */

/** What the standard analyzer later splits into words: letters, digits, private use. */
const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;

/** Case and accents out: `Ärger` and `arger` are the same word. */
export function fold(value: string): string {
  return value
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

/** The words of a value after folding, in order. */
export function words(value: string): string[] {
  return fold(value).match(TOKEN) ?? [];
}

/**
 * The values free text searches, each one entry of the `searchText` array. Separate entries
 * (rather than one joined string) keep a phrase from matching across two fields: Elasticsearch
 * puts a position gap of 100 between the values of an array. Key/value lists (cookies, form,
 * server variables) are left out as in the embedded index: large, rarely searched, may hold
 * secrets.
 */
export function searchText(m: CanonicalMessage): string[] {
  const out: string[] = [];
  for (const v of searchableValues(m)) {
    const w = words(v);
    if (w.length > 0) out.push(w.join(" "));
  }
  return out;
}

/** Shorter prefixes are taken as whole words: `a*` would match half the index. */
const MIN_PREFIX_CHARS = 2;

/**
 * More words than this are ignored (the page gets broader, never an error): Elasticsearch caps
 * the clauses of one query (indices.query.bool.max_clause_count, sized from the heap), and a
 * search box never needs this many.
 */
export const MAX_TEXT_CLAUSES = 64;

/** One condition on `searchText`: a sequence of words, the last one possibly a prefix. */
export type TextClause =
  | { match_phrase: { searchText: string } }
  | { prefix: { searchText: { value: string } } };

/**
 * The user's text as clauses that must all match. Words are split at whitespace outside
 * "quoted groups" (an unterminated quote runs to the end); nothing the user types is syntax,
 * so no input can make the query fail to parse:
 * - a word or quoted group becomes a phrase of its folded words: `System.Foo` and "foo bar" must
 *   be adjacent and in order (SearchQuery leaves adjacency to the engine; here it is cheap);
 * - an unquoted word ending in `*` whose last part has 2+ characters: its last part is a prefix,
 *   the parts before it a phrase (not required to be adjacent to the prefix: Elasticsearch has
 *   no cheap phrase-with-prefix without the slow match_phrase_prefix expansion);
 * - a word with no letters or digits (`(`, `"`, `*`) adds nothing.
 */
export function textClauses(text: string): TextClause[] {
  const clauses = new Map<string, TextClause>();
  const add = (c: TextClause) => {
    if (clauses.size < MAX_TEXT_CLAUSES) clauses.set(JSON.stringify(c), c);
  };
  const re = /"([^"]*)"?|[^\s"]+/g;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    const quoted = match[1] !== undefined;
    const raw = quoted ? match[1]! : match[0];
    const parts = words(raw);
    if (parts.length === 0) continue;
    const last = parts.at(-1)!;
    if (!quoted && raw.endsWith("*") && last.length >= MIN_PREFIX_CHARS) {
      if (parts.length > 1) add({ match_phrase: { searchText: parts.slice(0, -1).join(" ") } });
      add({ prefix: { searchText: { value: last } } });
    } else {
      add({ match_phrase: { searchText: parts.join(" ") } });
    }
  }
  return [...clauses.values()];
}
