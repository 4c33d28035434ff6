import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@faultline/config";
import { newMessageId, normalizeElmahMessage } from "@faultline/core";
import {
  closeDb,
  type Db,
  findActiveIngestKey,
  findOrganizationByName,
  findUserByEmail,
  getMembership,
  listIngestKeys,
  openDb,
} from "@faultline/db";
import { createSearchIndex } from "@faultline/search";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./run";

const root = mkdtempSync(join(tmpdir(), "faultline-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const INGEST_URL = "https://ingest.example.test";
let dirs = 0;
const freshEnv = () => ({
  FAULTLINE_DATA_DIR: join(root, `data-${++dirs}`),
  FAULTLINE_PUBLIC_INGEST_URL: INGEST_URL,
});

/** Runs the CLI in-process and captures what it prints. */
async function faultline(env: Record<string, string>, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

const COMMAND_LINES = [
  "faultline migrate",
  "faultline users create",
  "faultline orgs create",
  "faultline orgs list",
  "faultline logs create",
  "faultline logs list",
  "faultline logs update",
  "faultline logs burst",
  "faultline keys create",
  "faultline keys list",
  "faultline keys revoke",
  "faultline messages search",
];

describe("usage", () => {
  const env = freshEnv();

  it("help, no arguments and --help print every command and exit 0", async () => {
    for (const argv of [[], ["help"], ["--help"]]) {
      const r = await faultline(env, ...argv);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      for (const line of COMMAND_LINES) expect(r.stdout).toContain(line);
    }
  });

  it("help for one command lists its flags", async () => {
    for (const argv of [
      ["help", "logs", "create"],
      ["logs", "create", "--help"],
    ]) {
      const r = await faultline(env, ...argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("usage: faultline logs create --org NAME --name NAME [--json]");
      expect(r.stdout).toContain("--json");
    }
  });

  it("an unknown command prints the usage to stderr and exits 2", async () => {
    const r = await faultline(env, "frobnicate");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('error: unknown command "frobnicate"');
    expect(r.stderr).toContain("faultline logs create");
    const group = await faultline(env, "logs", "delete");
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('"logs delete" is not a command');
    expect((await faultline(env, "help", "nope")).code).toBe(2);
  });

  it("unknown flags, missing flags and missing values name the flag and exit 2", async () => {
    const cases: [string[], string][] = [
      [["logs", "create", "--org", "A", "--name", "B", "--bogus"], "error: unknown flag --bogus"],
      [["users", "create", "--email", "a@example.test"], "error: missing required flag --password"],
      [["users", "create", "--password", "long enough", "--email"], "error: flag --email needs a value"],
      [["logs", "list", "--org", "A", "--json=yes"], "error: flag --json does not take a value"],
      [["orgs", "list", "stray"], 'error: unexpected argument "stray"'],
      [
        ["messages", "search", "--log", "x", "--limit", "0"],
        "error: --limit must be a whole number from 1 to 200",
      ],
      [["messages", "search", "--log", "x", "--limit", "ten"], "error: --limit must be a whole number"],
    ];
    for (const [argv, message] of cases) {
      const r = await faultline(env, ...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
      // The hint is the command's own usage.
      expect(r.stderr).toContain(`usage: faultline ${argv[0]} ${argv[1]}`);
    }
  });

  it("invalid configuration prints every problem and exits 2", async () => {
    const r = await faultline(
      { ...env, FAULTLINE_DB: "oracle", FAULTLINE_INGEST_PORT: "not-a-port" },
      "orgs",
      "list",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: invalid configuration:");
    expect(r.stderr).toContain("FAULTLINE_DB");
    expect(r.stderr).toContain("FAULTLINE_INGEST_PORT");
  });

  it("a command on an unmigrated database says to run migrate first", async () => {
    const r = await faultline(freshEnv(), "orgs", "list");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("run `faultline migrate` first");
  });
});

describe("commands", () => {
  const env = freshEnv();
  let db: Db;

  beforeAll(async () => {
    const first = await faultline(env, "migrate");
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toContain("applied 0001-initial");
    db = openDb(loadConfig(env).db);
  });
  afterAll(async () => {
    await closeDb(db);
  });

  it("migrate again applies nothing", async () => {
    const r = await faultline(env, "migrate");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("already up to date");
    expect(r.stdout).not.toContain("applied 0001");
  });

  it("users create with a new --org makes the user its owner; with an existing one, a member", async () => {
    const owner = await faultline(
      env,
      "users",
      "create",
      "--email",
      "Owner@Example.test",
      "--password",
      "owner pass",
      "--org",
      "Acme",
    );
    expect(owner.code).toBe(0);
    expect(owner.stdout).toContain("created user owner@example.test");
    expect(owner.stdout).toContain('created organization "Acme"');
    const member = await faultline(
      env,
      ...[
        "users",
        "create",
        "--email",
        "member@example.test",
        "--password",
        "member pass",
        "--name",
        "Mem",
        "--org",
        "Acme",
      ],
    );
    expect(member.code).toBe(0);
    expect(member.stdout).toContain('added member@example.test to organization "Acme" as member');

    const org = (await findOrganizationByName(db, "Acme"))!;
    const ownerUser = (await findUserByEmail(db, "owner@example.test"))!;
    const memberUser = (await findUserByEmail(db, "member@example.test"))!;
    expect(memberUser.name).toBe("Mem");
    expect(await getMembership(db, org.id, ownerUser.id)).toEqual({ role: "owner" });
    expect(await getMembership(db, org.id, memberUser.id)).toEqual({ role: "member" });
  });

  it("users create without --org creates just the user", async () => {
    const r = await faultline(
      env,
      "users",
      "create",
      "--email",
      "solo@example.test",
      "--password",
      "solo pass",
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("organization");
    expect(await findUserByEmail(db, "solo@example.test")).not.toBeNull();
  });

  it("users create reports a taken email and a short password as errors (exit 1)", async () => {
    await faultline(env, "users", "create", "--email", "taken@example.test", "--password", "taken pass");
    const taken = await faultline(
      env,
      "users",
      "create",
      "--email",
      "TAKEN@example.test",
      "--password",
      "other pass",
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe("error: a user with the email taken@example.test already exists\n");
    const short = await faultline(
      env,
      "users",
      "create",
      "--email",
      "short@example.test",
      "--password",
      "short",
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("error: password must be at least 8 characters");
    expect(await findUserByEmail(db, "short@example.test")).toBeNull();
  });

  it("orgs create and orgs list", async () => {
    await faultline(env, "users", "create", "--email", "boss@example.test", "--password", "boss pass");
    const created = await faultline(
      env,
      "orgs",
      "create",
      "--name",
      "Globex",
      "--owner",
      "boss@example.test",
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created organization "Globex"');
    const dup = await faultline(env, "orgs", "create", "--name", "Globex", "--owner", "boss@example.test");
    expect(dup).toMatchObject({ code: 1, stderr: 'error: an organization named "Globex" already exists\n' });
    const noOwner = await faultline(
      env,
      "orgs",
      "create",
      "--name",
      "Initech",
      "--owner",
      "nobody@example.test",
    );
    expect(noOwner).toMatchObject({ code: 1, stderr: "error: no user with the email nobody@example.test\n" });

    const list = await faultline(env, "orgs", "list");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+ID\s+CREATED$/m);
    expect(list.stdout).toMatch(/^Globex\s+[0-9a-f-]{36}\s+\S+$/m);
    const json = JSON.parse((await faultline(env, "orgs", "list", "--json")).stdout) as { name: string }[];
    expect(json.map((o) => o.name)).toEqual(expect.arrayContaining(["Acme", "Globex"]));
    expect(json.map((o) => o.name)).not.toContain("Initech");
  });

  it("logs create --json prints exactly {logId, projectId, ingestKey, dsn, endpoint}, and the key works", async () => {
    await faultline(
      env,
      "users",
      "create",
      "--email",
      "json@example.test",
      "--password",
      "json pass",
      "--org",
      "JsonOrg",
    );
    const r = await faultline(env, "logs", "create", "--org", "JsonOrg", "--name", "production", "--json");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(["dsn", "endpoint", "ingestKey", "logId", "projectId"]);
    const { logId, projectId, ingestKey } = out as { logId: string; projectId: number; ingestKey: string };
    expect(logId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isInteger(projectId)).toBe(true);
    expect(ingestKey).toMatch(/^[0-9a-f]{32}$/);
    expect(out.dsn).toBe(`https://${ingestKey}@ingest.example.test/${projectId}`);
    expect(out.endpoint).toBe(`${INGEST_URL}/v3/messages/${logId}`);
    expect(await findActiveIngestKey(db, ingestKey)).toMatchObject({ logId, projectId });

    const second = JSON.parse(
      (await faultline(env, "logs", "create", "--org", "JsonOrg", "--name", "staging", "--json")).stdout,
    ) as { projectId: number };
    expect(second.projectId).toBeGreaterThan(projectId);
  });

  it("logs create without --json prints the key, endpoint, DSN and a curl example", async () => {
    await faultline(
      env,
      "users",
      "create",
      "--email",
      "text@example.test",
      "--password",
      "text pass",
      "--org",
      "TextOrg",
    );
    const r = await faultline(env, "logs", "create", "--org", "TextOrg", "--name", "web");
    expect(r.code).toBe(0);
    const key = /ingest key\s+([0-9a-f]{32})/.exec(r.stdout)?.[1];
    expect(key).toBeDefined();
    expect(r.stdout).toContain(`https://${key}@ingest.example.test/`);
    expect(r.stdout).toMatch(
      /curl -X POST 'https:\/\/ingest\.example\.test\/v3\/messages\/[0-9a-f-]{36}' -H 'api_key: [0-9a-f]{32}'/,
    );
    const dup = await faultline(env, "logs", "create", "--org", "TextOrg", "--name", "web");
    expect(dup).toMatchObject({ code: 1, stderr: 'error: the organization already has a log named "web"\n' });
    const noOrg = await faultline(env, "logs", "create", "--org", "Nowhere", "--name", "web");
    expect(noOrg).toMatchObject({ code: 1, stderr: 'error: no organization named "Nowhere"\n' });
  });

  it("logs list shows an organization's logs", async () => {
    await faultline(
      env,
      "users",
      "create",
      "--email",
      "list@example.test",
      "--password",
      "list pass",
      "--org",
      "ListOrg",
    );
    const empty = await faultline(env, "logs", "list", "--org", "ListOrg");
    expect(empty.stdout).toContain('no logs in "ListOrg" yet');
    await faultline(env, "logs", "create", "--org", "ListOrg", "--name", "beta");
    await faultline(env, "logs", "create", "--org", "ListOrg", "--name", "alpha");
    const json = JSON.parse((await faultline(env, "logs", "list", "--org", "ListOrg", "--json")).stdout) as {
      name: string;
      retentionDays: number;
    }[];
    expect(json.map((l) => l.name)).toEqual(["alpha", "beta"]);
    expect(json[0]!.retentionDays).toBe(90);
    const text = await faultline(env, "logs", "list", "--org", "ListOrg");
    expect(text.stdout).toMatch(/^alpha\s+[0-9a-f-]{36}\s+\d+\s+90 days\s+6000$/m);
    expect((await faultline(env, "logs", "list", "--org", "Nowhere")).code).toBe(1);
  });

  it("keys create, list and revoke", async () => {
    await faultline(
      env,
      "users",
      "create",
      "--email",
      "keys@example.test",
      "--password",
      "keys pass",
      "--org",
      "KeyOrg",
    );
    const { logId, ingestKey: first } = JSON.parse(
      (await faultline(env, "logs", "create", "--org", "KeyOrg", "--name", "app", "--json")).stdout,
    ) as { logId: string; ingestKey: string };

    const created = await faultline(env, "keys", "create", "--log", logId, "--name", "rotation", "--json");
    expect(created.code).toBe(0);
    const second = JSON.parse(created.stdout) as { keyId: string; ingestKey: string; dsn: string };
    expect(Object.keys(second).sort()).toEqual([
      "dsn",
      "endpoint",
      "ingestKey",
      "keyId",
      "logId",
      "projectId",
    ]);
    expect(await findActiveIngestKey(db, second.ingestKey)).toMatchObject({ keyId: second.keyId, logId });
    const text = await faultline(env, "keys", "create", "--log", logId);
    expect(text.stdout).toContain('created ingest key "default"');

    const list = await faultline(env, "keys", "list", "--log", logId);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${second.ingestKey.slice(0, 6)}…`);
    expect(list.stdout).not.toContain(second.ingestKey);

    const revoked = await faultline(env, "keys", "revoke", "--log", logId, "--key", second.keyId);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ingest key ${second.keyId}\n` });
    expect(await findActiveIngestKey(db, second.ingestKey)).toBeNull();
    expect(await findActiveIngestKey(db, first)).not.toBeNull();
    const keys = await listIngestKeys(db, logId);
    expect(keys.find((k) => k.id === second.keyId)?.revokedAt).not.toBeNull();

    const unknownKey = await faultline(env, "keys", "revoke", "--log", logId, "--key", "no-such-key");
    expect(unknownKey).toMatchObject({ code: 1, stderr: "error: ingest key not found\n" });
    expect((await faultline(env, "keys", "revoke", "--log", logId)).code).toBe(2);
    const unknownLog = await faultline(env, "keys", "create", "--log", "no-such-log");
    expect(unknownLog).toMatchObject({ code: 1, stderr: "error: no log with the id no-such-log\n" });
  });

  describe("messages search", () => {
    let logId: string;

    beforeAll(async () => {
      await faultline(
        env,
        "users",
        "create",
        "--email",
        "search@example.test",
        "--password",
        "search pw",
        "--org",
        "SearchOrg",
      );
      ({ logId } = JSON.parse(
        (await faultline(env, "logs", "create", "--org", "SearchOrg", "--name", "app", "--json")).stdout,
      ) as { logId: string });
      const index = await createSearchIndex(loadConfig(env).search);
      const at = (minute: number) => `2026-11-21T10:0${minute}:00.000Z`;
      const messages = [
        { title: "Database timeout in checkout", severity: "Error", dateTime: at(1) },
        { title: "User signed in", severity: "Information", dateTime: at(2) },
        { title: "Payment gateway timeout", severity: "Warning", dateTime: at(3) },
      ].map((body) => normalizeElmahMessage(body, { id: newMessageId(), logId, receivedAt: new Date() }));
      try {
        await index.index(messages);
      } finally {
        await index.close();
      }
    });

    it("--json prints {items, nextCursor}, newest first", async () => {
      const r = await faultline(env, "messages", "search", "--log", logId, "--json");
      expect(r).toMatchObject({ code: 0, stderr: "" });
      const page = JSON.parse(r.stdout) as {
        items: { title: string; logId: string }[];
        nextCursor: string | null;
      };
      expect(Object.keys(page).sort()).toEqual(["items", "nextCursor"]);
      expect(page.items.map((m) => m.title)).toEqual([
        "Payment gateway timeout",
        "User signed in",
        "Database timeout in checkout",
      ]);
      expect(page.items.every((m) => m.logId === logId)).toBe(true);
      expect(page.nextCursor).toBeNull();
    });

    it("--query takes free text and severity filters", async () => {
      const search = async (query: string) =>
        (
          JSON.parse(
            (await faultline(env, "messages", "search", "--log", logId, "--query", query, "--json")).stdout,
          ) as {
            items: { title: string }[];
          }
        ).items.map((m) => m.title);
      expect(await search("timeout")).toEqual(["Payment gateway timeout", "Database timeout in checkout"]);
      expect(await search("timeout severity:Error")).toEqual(["Database timeout in checkout"]);
      expect(await search("nothing-matches-this")).toEqual([]);
    });

    it("--limit pages and --cursor continues", async () => {
      const first = JSON.parse(
        (await faultline(env, "messages", "search", "--log", logId, "--limit", "2", "--json")).stdout,
      ) as { items: { title: string }[]; nextCursor: string };
      expect(first.items).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const rest = JSON.parse(
        (
          await faultline(
            env,
            "messages",
            "search",
            "--log",
            logId,
            "--limit",
            "2",
            "--cursor",
            first.nextCursor,
            "--json",
          )
        ).stdout,
      ) as { items: { title: string }[]; nextCursor: string | null };
      expect(rest.items.map((m) => m.title)).toEqual(["Database timeout in checkout"]);
      expect(rest.nextCursor).toBeNull();
      const bad = await faultline(env, "messages", "search", "--log", logId, "--cursor", "garbage!");
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--cursor");
    });

    it("prints a table of time, severity and title without --json", async () => {
      const r = await faultline(env, "messages", "search", "--log", logId, "--limit", "2");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^TIME\s+SEVERITY\s+TITLE$/);
      expect(lines[1]).toMatch(/^2026-11-21T10:03:00\.000Z\s+Warning\s+Payment gateway timeout$/);
      expect(lines[2]).toMatch(/^2026-11-21T10:02:00\.000Z\s+Information\s+User signed in$/);
      expect(r.stdout).toContain("more: add --cursor ");
      const none = await faultline(env, "messages", "search", "--log", logId, "--query", "zzzz");
      expect(none.stdout).toBe("no messages found\n");
    });

    it("an unknown log is an error, not an empty result", async () => {
      const r = await faultline(env, "messages", "search", "--log", "no-such-log");
      expect(r).toMatchObject({ code: 1, stderr: "error: no log with the id no-such-log\n" });
    });
  });
});
