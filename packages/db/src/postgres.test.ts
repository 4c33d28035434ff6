import { randomUUID } from "node:crypto";
import { Pool } from "pg";
import { afterAll, describe, it } from "vitest";
import { describeDbSuite } from "./db-suite";
import { openDb } from "./index";

// The same contract on PostgreSQL, when a server is given. Each database the suite asks for is
// a fresh database on that server, dropped afterwards. (Not a schema: Kysely's migrator looks
// for its bookkeeping table in every schema, so schemas side by side would see each other's.)
const url = process.env.FAULTLINE_TEST_POSTGRES_URL;
const skipReason =
  "set FAULTLINE_TEST_POSTGRES_URL to a PostgreSQL server whose role may create databases (scripts/engines.sh starts one)";
// CI starts PostgreSQL (.ci/run), so there a missing server is a failure, never a skip.
if (!url && process.env.CI) throw new Error(`PostgreSQL suite cannot run in CI: ${skipReason}`);
if (!url) console.warn(`SKIPPED database contract on postgres: ${skipReason}`);

if (url) {
  const admin = new Pool({ connectionString: url, max: 1 });
  const databases: string[] = [];
  afterAll(async () => {
    for (const name of databases) await dropWhenClosed(name);
    await admin.end();
  });

  // pg's Pool.end() resolves before its connections have finished closing; dropping "with
  // (force)" at once kills those backends, and the pool reports that as an unhandled error.
  // So wait for the suite's connections to go (55006: still in use), forcing only as a last resort.
  async function dropWhenClosed(name: string) {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await admin.query(`drop database if exists "${name}"`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== "55006") throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await admin.query(`drop database if exists "${name}" with (force)`);
  }

  describeDbSuite("postgres", async () => {
    const name = `faultline_test_${randomUUID().replaceAll("-", "")}`;
    await admin.query(`create database "${name}"`);
    databases.push(name);
    const dbUrl = new URL(url);
    dbUrl.pathname = `/${name}`;
    return openDb({ kind: "postgres", url: dbUrl.toString() });
  });
} else {
  describe.skip("database contract: postgres", () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}
