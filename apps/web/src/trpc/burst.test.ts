import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addMember, closeDb, type Db, openDb, recordBurstCounts } from "@faultline/db";
import { migrateToLatest } from "@faultline/db/migrate";
import { createSearchIndex, type SearchIndex } from "@faultline/search";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "../server/auth";
import { createTrpcContext } from "./init";
import { createCaller } from "./router";

// Real SQLite database and search index, in-process callers: as in router.test.ts.
let dir: string;
let db: Db;
let search: SearchIndex;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "faultline-web-burst-"));
  db = openDb({ kind: "sqlite", file: join(dir, "faultline.db") });
  await migrateToLatest(db);
  search = await createSearchIndex({ kind: "sqlite", file: join(dir, "search.db") });
});

afterAll(async () => {
  await search?.close();
  if (db) await closeDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const callerFor = (user: SessionUser | null) =>
  createCaller(createTrpcContext({ db, search, publicIngestUrl: "http://ingest.test:3100" }, user));

let users = 0;
async function newUser(label: string) {
  const created = await callerFor(null).auth.signUp({
    email: `${label}-${++users}@example.com`,
    password: "correct horse battery",
  });
  const user: SessionUser = { id: created.id, email: created.email, name: created.name };
  return { user, caller: callerFor(user) };
}

const from = new Date("2026-11-21T10:00:00.000Z");
const to = new Date("2026-11-21T11:00:00.000Z");

describe("logs.burstSummary", () => {
  it("members read the kept and dropped counts, with a title for the fingerprints that have one", async () => {
    const owner = await newUser("owner");
    const organization = await owner.caller.organizations.create({ name: `Burst org ${randomUUID()}` });
    const { log } = await owner.caller.logs.create({ organizationId: organization.id, name: "api" });
    await owner.caller.logs.updateSettings({ logId: log.id, burstLimitPerMinute: 50 });
    await search.index([
      {
        id: randomUUID(),
        logId: log.id,
        receivedAt: "2026-11-21T10:02:05.000Z",
        dateTime: "2026-11-21T10:02:05.000Z",
        format: "elmahio-v3",
        fingerprint: "fp-a",
        title: "Deadlock on table Orders",
        severity: "Error",
        cookies: [],
        form: [],
        queryString: [],
        serverVariables: [],
        data: [],
        breadcrumbs: [],
      },
    ]);
    await recordBurstCounts(db, randomUUID(), [
      { logId: log.id, minute: "2026-11-21T10:02:00.000Z", fingerprint: "fp-a", kept: 60, dropped: 900 },
      { logId: log.id, minute: "2026-11-21T10:03:00.000Z", fingerprint: "fp-b", kept: 0, dropped: 40 },
    ]);

    const member = await newUser("member");
    await addMember(db, organization.id, member.user.id, "member");
    const summary = await member.caller.logs.burstSummary({ logId: log.id, from, to });
    expect(summary).toEqual({
      limit: 50,
      from: from.toISOString(),
      to: to.toISOString(),
      kept: 60,
      dropped: 940,
      received: 1000,
      firstMinute: "2026-11-21T10:02:00.000Z",
      lastMinute: "2026-11-21T10:03:00.000Z",
      perMinute: [
        { minute: "2026-11-21T10:02:00.000Z", kept: 60, dropped: 900 },
        { minute: "2026-11-21T10:03:00.000Z", kept: 0, dropped: 40 },
      ],
      topFingerprints: [
        { fingerprint: "fp-a", kept: 60, dropped: 900, title: "Deadlock on table Orders" },
        { fingerprint: "fp-b", kept: 0, dropped: 40, title: null },
      ],
    });

    // Without a period: the last hour, which holds none of these counts.
    const recent = await member.caller.logs.burstSummary({ logId: log.id });
    expect(recent).toMatchObject({ kept: 0, dropped: 0, firstMinute: null });
    expect(Date.parse(recent.to) - Date.parse(recent.from)).toBe(60 * 60 * 1000);

    // Someone outside the organization cannot tell the log exists.
    const outsider = await newUser("outsider");
    await expect(outsider.caller.logs.burstSummary({ logId: log.id, from, to })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(callerFor(null).logs.burstSummary({ logId: log.id })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    await expect(
      member.caller.logs.burstSummary({ logId: log.id, from: to, to: from }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
