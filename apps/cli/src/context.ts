import type { Config } from "@faultline/config";
import { closeDb, type Db, openDb } from "@faultline/db";
import { createSearchIndex, type SearchIndex } from "@faultline/search";

/** Where run() writes; process.stdout and process.stderr in production, buffers in tests. */
export interface Output {
  write(chunk: string): unknown;
}

export interface Io {
  /** The environment; handed to loadConfig, the one place configuration is read. */
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
  /** Base for a relative FAULTLINE_DATA_DIR; the process's working directory by default. */
  cwd?: string;
}

/**
 * What a command works with. The database and the search index are opened on first use, so
 * `faultline help` needs neither and `logs create` never opens the search index.
 */
export class Context {
  #db: Db | undefined;
  #search: Promise<SearchIndex> | undefined;

  constructor(
    readonly config: Config,
    private readonly io: Io,
  ) {}

  db(): Db {
    this.#db ??= openDb(this.config.db);
    return this.#db;
  }

  search(): Promise<SearchIndex> {
    this.#search ??= createSearchIndex(this.config.search);
    return this.#search;
  }

  /** One line of normal output. */
  line(text = ""): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** Exactly one JSON document, so that `--json` output can be piped into jq or JSON.parse. */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Left-aligned columns; the last column is not padded (it is often long: titles). */
  table(headers: string[], rows: string[][]): void {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const format = (cells: string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
    this.line(format(headers));
    for (const row of rows) this.line(format(row));
  }

  async close(): Promise<void> {
    const db = this.#db;
    const search = this.#search;
    this.#db = undefined;
    this.#search = undefined;
    await Promise.all([db ? closeDb(db) : undefined, search?.then((index) => index.close())]);
  }
}
