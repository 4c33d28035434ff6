import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { loadConfig } from "@faultline/config";
import { closeDb, type Db, getLog, openDb, recordBurstCounts } from "@faultline/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../run";

const root = mkdtempSync(join(tmpdir(), "faultline-cli-burst-"));
const env = {
  FAULTLINE_DATA_DIR: join(root, "data"),
  FAULTLINE_PUBLIC_INGEST_URL: "https://ingest.example.test",
};
let db: Db;
let logId: string;

/** Runs the CLI in-process and captures what it prints. */
async function faultline(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  expect((await faultline("migrate")).code).toBe(0);
  await faultline(
    "users",
    "create",
    "--email",
    "burst@example.test",
    "--password",
    "burst pass",
    "--org",
    "Burst",
  );
  logId = JSON.parse(
    (await faultline("logs", "create", "--org", "Burst", "--name", "shop", "--json")).stdout,
  ).logId;
  db = openDb(loadConfig(env).db);
});
afterAll(async () => {
  await closeDb(db);
  rmSync(root, { recursive: true, force: true });
});

describe("logs update", () => {
  it("sets the burst limit, 'none' lifts it, and other flags change only their setting", async () => {
    const set = await faultline("logs", "update", "--log", logId, "--burst-limit", "50");
    expect(set).toMatchObject({ code: 0, stderr: "" });
    expect(set.stdout).toContain("burst limit 50/min");
    expect((await getLog(db, logId))!.burstLimitPerMinute).toBe(50);

    const json = await faultline("logs", "update", "--log", logId, "--retention-days", "30", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ retentionDays: 30, burstLimitPerMinute: 50 });

    await faultline("logs", "update", "--log", logId, "--burst-limit", "none", "--name", "shop-2");
    expect(await getLog(db, logId)).toMatchObject({
      name: "shop-2",
      burstLimitPerMinute: null,
      retentionDays: 30,
    });
  });

  it("refuses a bad limit, no change at all and an unknown log", async () => {
    const bad = await faultline("logs", "update", "--log", logId, "--burst-limit", "lots");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--burst-limit must be a whole number");
    expect((await faultline("logs", "update", "--log", logId)).code).toBe(2);
    const unknown = await faultline("logs", "update", "--log", randomUUID(), "--burst-limit", "5");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no log with the id");
  });
});

describe("logs burst", () => {
  it("prints the stored counts as a sentence and tables, or as JSON", async () => {
    await recordBurstCounts(db, randomUUID(), [
      { logId, minute: "2026-11-21T10:02:00.000Z", fingerprint: "fp-a", kept: 32, dropped: 1000 },
      { logId, minute: "2026-11-21T10:06:00.000Z", fingerprint: "fp-b", kept: 1000, dropped: 46179 },
    ]);
    const period = ["--from", "2026-11-21T10:00:00Z", "--to", "2026-11-21T11:00:00Z"];
    const text = await faultline("logs", "burst", "--log", logId, ...period);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      "kept 1,032 of 48,211 messages between 10:02 and 10:07 UTC (47,179 dropped)",
    );
    expect(text.stdout).toMatch(/^2026-11-21 10:06\s+1000\s+46179$/m);

    const json = JSON.parse((await faultline("logs", "burst", "--log", logId, ...period, "--json")).stdout);
    expect(json).toMatchObject({
      logId,
      from: "2026-11-21T10:00:00.000Z",
      kept: 1032,
      dropped: 47179,
      received: 48211,
      perMinute: [
        { minute: "2026-11-21T10:02:00.000Z", kept: 32, dropped: 1000 },
        { minute: "2026-11-21T10:06:00.000Z", kept: 1000, dropped: 46179 },
      ],
    });
    expect(json.topFingerprints[0]).toEqual({ fingerprint: "fp-b", kept: 1000, dropped: 46179 });

    const quiet = await faultline(
      "logs",
      "burst",
      "--log",
      logId,
      "--from",
      "2026-11-20T10:00:00Z",
      "--to",
      "2026-11-20T11:00:00Z",
    );
    expect(quiet.stdout).toContain("no messages dropped");
    expect((await faultline("logs", "burst", "--log", logId, "--from", "soon")).code).toBe(2);
  });
});
