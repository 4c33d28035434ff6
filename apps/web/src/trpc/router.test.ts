import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CanonicalMessage, Severity } from "@faultline/core";
import { addMember, closeDb, type Db, openDb, verifyCredentials } from "@faultline/db";
import { migrateToLatest } from "@faultline/db/migrate";
import { createSearchIndex, type SearchIndex } from "@faultline/search";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "../server/auth";
import type { Services } from "../server/services";
import { createTrpcContext } from "./init";
import { createCaller } from "./router";

// Real SQLite database and search index in a temporary folder: the routers are tested with the
// same packages the site runs on, through in-process callers (no HTTP).
let dir: string;
let db: Db;
let search: SearchIndex;
let services: Services;
const INGEST_URL = "http://ingest.test:3100";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "faultline-web-test-"));
  db = openDb({ kind: "sqlite", file: join(dir, "faultline.db") });
  await migrateToLatest(db);
  search = await createSearchIndex({ kind: "sqlite", file: join(dir, "search.db") });
  services = { db, search, publicIngestUrl: INGEST_URL };
});

afterAll(async () => {
  await search?.close();
  if (db) await closeDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const callerFor = (user: SessionUser | null) => createCaller(createTrpcContext(services, user));

let userCounter = 0;
/** Signs a new user up through the router and returns a caller acting as them. */
async function newUser(label: string) {
  const email = `${label}-${++userCounter}@example.com`;
  const created = await callerFor(null).auth.signUp({
    email,
    password: "correct horse battery",
    name: label,
  });
  const user: SessionUser = { id: created.id, email: created.email, name: created.name };
  return { user, caller: callerFor(user) };
}

let orgCounter = 0;
/** A user with an organization and one log in it. */
async function ownerWithLog() {
  const owner = await newUser("owner");
  const organization = await owner.caller.organizations.create({ name: `Org ${++orgCounter} ${Date.now()}` });
  const created = await owner.caller.logs.create({
    organizationId: organization.id,
    name: "api (production)",
  });
  return { owner, organization, ...created };
}

const BASE = Date.UTC(2026, 10, 20, 12, 0, 0);
let messageCounter = 0;

function message(
  logId: string,
  minutesAfterBase: number,
  fields: Partial<CanonicalMessage> = {},
): CanonicalMessage {
  const at = new Date(BASE + minutesAfterBase * 60_000).toISOString();
  return {
    id: `msg-${++messageCounter}-${Math.random().toString(36).slice(2, 10)}`,
    logId,
    receivedAt: at,
    format: "elmahio-v3",
    fingerprint: `fp-${messageCounter}`,
    title: `message ${messageCounter}`,
    severity: "Error",
    dateTime: at,
    cookies: [],
    form: [],
    queryString: [],
    serverVariables: [],
    data: [],
    breadcrumbs: [],
    ...fields,
  };
}

describe("auth.signUp", () => {
  it("creates an account whose password then verifies", async () => {
    const result = await callerFor(null).auth.signUp({
      email: "Grace@Example.com",
      password: "a long enough password",
      name: "Grace Hopper",
    });
    expect(result).toMatchObject({ email: "grace@example.com", name: "Grace Hopper" });
    expect(result).not.toHaveProperty("passwordHash");
    const verified = await verifyCredentials(db, "grace@example.com", "a long enough password");
    expect(verified?.id).toBe(result.id);
  });

  it("answers CONFLICT for an email that is taken", async () => {
    await callerFor(null).auth.signUp({ email: "taken@example.com", password: "password one" });
    await expect(
      callerFor(null).auth.signUp({ email: "TAKEN@example.com", password: "password two" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("answers BAD_REQUEST for a short password or an invalid email", async () => {
    await expect(
      callerFor(null).auth.signUp({ email: "short@example.com", password: "1234567" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      callerFor(null).auth.signUp({ email: "not-an-email", password: "long enough pw" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("signed-out callers", () => {
  it("get UNAUTHORIZED from every procedure that needs a session", async () => {
    const anonymous = callerFor(null);
    const { log, organization } = await ownerWithLog();
    const calls: [string, () => Promise<unknown>][] = [
      ["organizations.list", () => anonymous.organizations.list()],
      ["organizations.create", () => anonymous.organizations.create({ name: "Nope" })],
      ["logs.list", () => anonymous.logs.list({ organizationId: organization.id })],
      ["logs.get", () => anonymous.logs.get({ logId: log.id })],
      ["messages.search", () => anonymous.messages.search({ logId: log.id })],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    }
  });
});

describe("organizations and logs", () => {
  it("an organization's creator owns it and sees it with its logs", async () => {
    const { caller } = await newUser("founder");
    const organization = await caller.organizations.create({ name: `Founders ${Date.now()}` });
    expect(await caller.organizations.list()).toEqual([{ ...organization, role: "owner", logs: [] }]);

    const created = await caller.logs.create({ organizationId: organization.id, name: "web" });
    const listed = await caller.organizations.list();
    expect(listed[0]?.logs.map((l) => l.id)).toEqual([created.log.id]);
    expect(await caller.logs.list({ organizationId: organization.id })).toEqual([created.log]);
  });

  it("an organization name that is taken is a CONFLICT", async () => {
    const { caller } = await newUser("dup");
    const name = `Unique ${Date.now()}`;
    await caller.organizations.create({ name });
    await expect(caller.organizations.create({ name })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("logs.create answers the ingest key once, with the DSN and endpoint filled in", async () => {
    const { log, ingestKey, dsn, endpoint, owner } = await ownerWithLog();
    expect(ingestKey).toMatch(/^[0-9a-f]{32}$/);
    expect(dsn).toBe(`http://${ingestKey}@ingest.test:3100/${log.projectId}`);
    expect(endpoint).toBe(`${INGEST_URL}/v3/messages/${log.id}`);

    const keys = await owner.caller.logs.keys({ logId: log.id });
    expect(keys).toHaveLength(1);
    expect(keys[0]?.prefix).toBe(ingestKey.slice(0, keys[0]?.prefix.length));
    expect(JSON.stringify(keys)).not.toContain(ingestKey);
  });

  it("logs.get answers the log, the caller's role and how to connect", async () => {
    const { log, owner, organization } = await ownerWithLog();
    const details = await owner.caller.logs.get({ logId: log.id });
    expect(details).toMatchObject({
      log,
      role: "owner",
      canManage: true,
      organization: { id: organization.id, name: organization.name },
      endpoint: `${INGEST_URL}/v3/messages/${log.id}`,
      messageCount: 0,
    });
    expect(details.dsnTemplate).toBe(`http://${details.dsnKeyPlaceholder}@ingest.test:3100/${log.projectId}`);
  });

  it("createKey answers a new key with its DSN; revokeKey marks it revoked", async () => {
    const { log, owner } = await ownerWithLog();
    const created = await owner.caller.logs.createKey({ logId: log.id, name: "CI" });
    expect(created.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(created.key).toMatchObject({ name: "CI", logId: log.id, revokedAt: null });
    expect(created.dsn).toContain(`${created.secret}@`);
    expect(created.endpoint).toBe(`${INGEST_URL}/v3/messages/${log.id}`);

    await owner.caller.logs.revokeKey({ logId: log.id, keyId: created.key.id });
    const keys = await owner.caller.logs.keys({ logId: log.id });
    expect(keys).toHaveLength(2);
    expect(keys.find((k) => k.id === created.key.id)?.revokedAt).not.toBeNull();
    expect(keys.find((k) => k.id !== created.key.id)?.revokedAt).toBeNull();
  });

  it("revoking a key of another log is NOT_FOUND", async () => {
    const first = await ownerWithLog();
    const second = await ownerWithLog();
    const [otherKey] = await second.owner.caller.logs.keys({ logId: second.log.id });
    await expect(
      first.owner.caller.logs.revokeKey({ logId: first.log.id, keyId: otherKey!.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("owners change settings; the change is stored", async () => {
    const { log, owner } = await ownerWithLog();
    const updated = await owner.caller.logs.updateSettings({
      logId: log.id,
      name: "renamed",
      retentionDays: 30,
      burstLimitPerMinute: null,
    });
    expect(updated).toMatchObject({
      id: log.id,
      name: "renamed",
      retentionDays: 30,
      burstLimitPerMinute: null,
    });
    expect((await owner.caller.logs.get({ logId: log.id })).log.name).toBe("renamed");
  });
});

describe("membership checks", () => {
  it("a user outside the organization gets NOT_FOUND from every log procedure", async () => {
    const { log, organization, owner } = await ownerWithLog();
    const [key] = await owner.caller.logs.keys({ logId: log.id });
    const stored = message(log.id, 0);
    await search.index([stored]);
    const { caller: outsider } = await newUser("outsider");
    // The outsider has an organization of their own: membership elsewhere must not count.
    await outsider.organizations.create({ name: `Outsiders ${Date.now()}` });

    const calls: [string, () => Promise<unknown>][] = [
      ["messages.search", () => outsider.messages.search({ logId: log.id })],
      ["messages.get", () => outsider.messages.get({ logId: log.id, id: stored.id })],
      ["logs.get", () => outsider.logs.get({ logId: log.id })],
      ["logs.keys", () => outsider.logs.keys({ logId: log.id })],
      ["logs.createKey", () => outsider.logs.createKey({ logId: log.id })],
      ["logs.revokeKey", () => outsider.logs.revokeKey({ logId: log.id, keyId: key!.id })],
      ["logs.updateSettings", () => outsider.logs.updateSettings({ logId: log.id, name: "hijacked" })],
      ["logs.list", () => outsider.logs.list({ organizationId: organization.id })],
      ["logs.create", () => outsider.logs.create({ organizationId: organization.id, name: "intruder" })],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    // Nothing changed on the way.
    const details = await owner.caller.logs.get({ logId: log.id });
    expect(details.log.name).toBe(log.name);
    expect((await owner.caller.logs.keys({ logId: log.id })).every((k) => k.revokedAt === null)).toBe(true);
  });

  it("an unknown log id is NOT_FOUND too, so ids cannot be probed", async () => {
    const { caller } = await newUser("prober");
    await expect(caller.logs.get({ logId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("a member who is not an admin can read the log but not change it", async () => {
    const { log, organization, owner } = await ownerWithLog();
    const member = await newUser("member");
    await addMember(db, organization.id, member.user.id, "member");
    const [key] = await owner.caller.logs.keys({ logId: log.id });

    const details = await member.caller.logs.get({ logId: log.id });
    expect(details).toMatchObject({ role: "member", canManage: false });
    await expect(member.caller.messages.search({ logId: log.id })).resolves.toMatchObject({ items: [] });
    await expect(member.caller.logs.keys({ logId: log.id })).resolves.toHaveLength(1);

    const forbidden: [string, () => Promise<unknown>][] = [
      ["logs.updateSettings", () => member.caller.logs.updateSettings({ logId: log.id, retentionDays: 1 })],
      ["logs.createKey", () => member.caller.logs.createKey({ logId: log.id })],
      ["logs.revokeKey", () => member.caller.logs.revokeKey({ logId: log.id, keyId: key!.id })],
      [
        "logs.create",
        () => member.caller.logs.create({ organizationId: organization.id, name: "member's log" }),
      ],
    ];
    for (const [name, call] of forbidden) {
      await expect(call(), name).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    expect((await owner.caller.logs.get({ logId: log.id })).log.retentionDays).toBe(log.retentionDays);
  });

  it("an admin who is not the owner can change settings", async () => {
    const { log, organization } = await ownerWithLog();
    const admin = await newUser("admin");
    await addMember(db, organization.id, admin.user.id, "admin");
    const updated = await admin.caller.logs.updateSettings({ logId: log.id, burstLimitPerMinute: 120 });
    expect(updated.burstLimitPerMinute).toBe(120);
  });
});

describe("messages.search and messages.get", () => {
  let logId: string;
  let caller: ReturnType<typeof callerFor>;
  const byTitle = new Map<string, CanonicalMessage>();

  beforeAll(async () => {
    const setup = await ownerWithLog();
    logId = setup.log.id;
    caller = setup.owner.caller;
    const rows: [number, string, Severity, Partial<CanonicalMessage>][] = [
      [1, "checkout timeout while charging card", "Error", { type: "TimeoutException", hostname: "web-1" }],
      [2, "cache warmed", "Information", { type: "CacheEvent", hostname: "web-2" }],
      [3, "disk almost full", "Warning", { type: "DiskWatcher", hostname: "worker-1" }],
      [4, "payment gateway timeout", "Fatal", { type: "TimeoutException", hostname: "web-2" }],
      [
        5,
        "user signed in",
        "Information",
        { type: "AuthEvent", hostname: "web-1", detail: "Stack of things" },
      ],
    ];
    const messages = rows.map(([minute, title, severity, extra]) =>
      message(logId, minute, { title, severity, ...extra }),
    );
    for (const m of messages) byTitle.set(m.title, m);
    // A message of another log with a matching word must never show up.
    const other = await ownerWithLog();
    await search.index([...messages, message(other.log.id, 6, { title: "timeout elsewhere" })]);
  });

  const titles = (page: { items: { title: string }[] }) => page.items.map((m) => m.title);

  it("lists the log's messages newest first", async () => {
    expect(titles(await caller.messages.search({ logId }))).toEqual([
      "user signed in",
      "payment gateway timeout",
      "disk almost full",
      "cache warmed",
      "checkout timeout while charging card",
    ]);
  });

  it("matches free text", async () => {
    expect(titles(await caller.messages.search({ logId, query: "timeout" }))).toEqual([
      "payment gateway timeout",
      "checkout timeout while charging card",
    ]);
  });

  it("applies field:value filters typed in the query", async () => {
    expect(titles(await caller.messages.search({ logId, query: "hostname:web-1" }))).toEqual([
      "user signed in",
      "checkout timeout while charging card",
    ]);
    expect(titles(await caller.messages.search({ logId, query: "type:TimeoutException payment" }))).toEqual([
      "payment gateway timeout",
    ]);
  });

  it("filters by severities, merging chips with severity: in the query", async () => {
    expect(titles(await caller.messages.search({ logId, severities: ["Fatal"] }))).toEqual([
      "payment gateway timeout",
    ]);
    expect(
      titles(await caller.messages.search({ logId, query: "severity:warning", severities: ["Fatal"] })),
    ).toEqual(["payment gateway timeout", "disk almost full"]);
  });

  it("limits to a time range", async () => {
    const page = await caller.messages.search({
      logId,
      from: new Date(BASE + 2 * 60_000),
      to: new Date(BASE + 4 * 60_000),
    });
    expect(titles(page)).toEqual(["disk almost full", "cache warmed"]);
  });

  it("pages through every message with cursors, without repeats", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await caller.messages.search({ logId, limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...titles(page));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(titles(await caller.messages.search({ logId })));
  });

  it("answers BAD_REQUEST for a cursor it never made", async () => {
    await expect(caller.messages.search({ logId, cursor: "not-a-cursor" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("messages.get answers the whole message", async () => {
    const stored = byTitle.get("user signed in")!;
    expect(await caller.messages.get({ logId, id: stored.id })).toMatchObject({
      id: stored.id,
      title: "user signed in",
      detail: "Stack of things",
      hostname: "web-1",
    });
  });

  it("messages.get is NOT_FOUND for an unknown id and for another log's message", async () => {
    await expect(caller.messages.get({ logId, id: "no-such-message" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const other = await ownerWithLog();
    const foreign = message(other.log.id, 7);
    await search.index([foreign]);
    await expect(caller.messages.get({ logId, id: foreign.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
