import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { describeDbSuite } from "./db-suite";
import { closeDb, createUser, getUser, openDb } from "./index";
import { migrateToLatest } from "./migrate";

const dir = mkdtempSync(join(tmpdir(), "faultline-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freshFile = () => join(dir, `${randomUUID()}.db`);

describeDbSuite("sqlite", async () => openDb({ kind: "sqlite", file: freshFile() }));

describe("sqlite specifics", () => {
  it("creates missing folders and turns on WAL, foreign keys and a busy timeout", async () => {
    const file = join(dir, "nested", "deeper", "faultline.db");
    const db = openDb({ kind: "sqlite", file });
    try {
      const pragma = async (name: string) =>
        Object.values(
          (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db)).rows[0] ?? {},
        )[0];
      expect(await pragma("journal_mode")).toBe("wal");
      expect(await pragma("foreign_keys")).toBe(1);
      expect(Number(await pragma("busy_timeout"))).toBeGreaterThan(0);
    } finally {
      await closeDb(db);
    }
  });

  it("two handles on one file (as web, ingest and the CLI have) see each other's writes", async () => {
    const file = freshFile();
    const a = openDb({ kind: "sqlite", file });
    const b = openDb({ kind: "sqlite", file });
    try {
      expect((await migrateToLatest(a)).length).toBeGreaterThan(0);
      expect(await migrateToLatest(b)).toEqual([]);
      const user = await createUser(a, { email: "shared@example.test", password: "long enough" });
      expect(await getUser(b, user.id)).toEqual(user);
    } finally {
      await closeDb(a);
      await closeDb(b);
    }
  });
});
