import { createHash, randomUUID } from "node:crypto";
import { FaultlineError, type FaultlineErrorCode } from "@faultline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  burstSummary,
  closeDb,
  createIngestKey,
  createLog,
  createOrganization,
  createUser,
  type Db,
  findActiveIngestKey,
  findOrganizationByName,
  findUserByEmail,
  getLog,
  getLogByProjectId,
  getMembership,
  getOrganization,
  getUser,
  isMissingTableError,
  listIngestKeys,
  listLogs,
  listOrganizations,
  listOrganizationsForUser,
  recordBurstCounts,
  requireLogMember,
  requireOrganizationMember,
  revokeIngestKey,
  updateLogSettings,
  type User,
  verifyCredentials,
} from "./index";
import { migrateToLatest, migrationNames, pendingMigrations } from "./migrate";

/**
 * The database contract, written once and run against every engine (SQLite now, PostgreSQL
 * later). `makeDb` must return a fresh, empty, unmigrated database each time it is called; the
 * suite migrates it itself (that is one of the things it tests) and closes it at the end.
 * Tests share one database and never depend on each other: every name they create is unique.
 */
export function describeDbSuite(name: string, makeDb: () => Promise<Db>): void {
  describe(`database contract: ${name}`, () => {
    let db: Db;
    let firstRun: string[];

    beforeAll(async () => {
      db = await makeDb();
      firstRun = await migrateToLatest(db);
    });
    afterAll(async () => {
      await closeDb(db);
    });

    const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
    const PASSWORD = "correct horse battery";
    const newUser = (name?: string) =>
      createUser(db, { email: `${unique("user")}@example.test`, password: PASSWORD, name });
    async function newOrg(owner?: User) {
      const user = owner ?? (await newUser());
      const org = await createOrganization(db, { name: unique("org"), ownerUserId: user.id });
      return { user, org };
    }
    async function newLog() {
      const { user, org } = await newOrg();
      const log = await createLog(db, { organizationId: org.id, name: unique("log") });
      return { user, org, log };
    }

    /** Awaits a rejection and checks it is a FaultlineError with this code (and message part). */
    async function expectFaultline(
      promise: Promise<unknown>,
      code: FaultlineErrorCode,
      message?: string | RegExp,
    ) {
      const err = await promise.then(
        () => {
          throw new Error(`expected a FaultlineError ${code}, but the call succeeded`);
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FaultlineError);
      expect((err as FaultlineError).code).toBe(code);
      if (message !== undefined) expect((err as FaultlineError).message).toMatch(message);
      return err as FaultlineError;
    }

    describe("migrations", () => {
      it("the first run applies every migration, in order", () => {
        expect(migrationNames.length).toBeGreaterThan(0);
        expect(firstRun).toEqual(migrationNames);
      });

      it("running again applies nothing and leaves nothing pending", async () => {
        expect(await migrateToLatest(db)).toEqual([]);
        expect(await pendingMigrations(db)).toEqual([]);
      });

      it("an unmigrated database reports missing tables recognisably", async () => {
        const fresh = await makeDb();
        try {
          expect(await pendingMigrations(fresh)).toEqual(migrationNames);
          const err = await getUser(fresh, randomUUID()).catch((e: unknown) => e);
          expect(isMissingTableError(err)).toBe(true);
          expect(isMissingTableError(new Error("something else"))).toBe(false);
        } finally {
          await closeDb(fresh);
        }
      });
    });

    describe("users", () => {
      it("creates a user with a lower-cased email and returns no password material", async () => {
        const email = `${unique("Mixed")}@Example.TEST`;
        const user = await createUser(db, { email: `  ${email} `, password: PASSWORD, name: "Ada Lovelace" });
        expect(Object.keys(user).sort()).toEqual(["createdAt", "email", "id", "name"]);
        expect(user.email).toBe(email.toLowerCase());
        expect(user.name).toBe("Ada Lovelace");
        expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);
        expect(await getUser(db, user.id)).toEqual(user);
        expect(await findUserByEmail(db, email.toUpperCase())).toEqual(user);
      });

      it("defaults the name to the email's local part", async () => {
        const local = unique("grace");
        const user = await createUser(db, { email: `${local}@example.test`, password: PASSWORD });
        expect(user.name).toBe(local);
      });

      it("rejects an email that is taken, in any letter case", async () => {
        const user = await newUser();
        await expectFaultline(
          createUser(db, { email: user.email.toUpperCase(), password: PASSWORD }),
          "CONFLICT",
          user.email,
        );
      });

      it("rejects an invalid email and a short password, naming the field", async () => {
        for (const email of ["", "no-at-sign", "two words@example.test", "@example.test"]) {
          const err = await expectFaultline(
            createUser(db, { email, password: PASSWORD }),
            "BAD_REQUEST",
            /email/,
          );
          expect(err.issues[0]?.path).toBe("email");
        }
        const err = await expectFaultline(
          createUser(db, { email: `${unique("short")}@example.test`, password: "1234567" }),
          "BAD_REQUEST",
          /password/,
        );
        expect(err.issues[0]?.path).toBe("password");
        // Eight characters is the minimum, so exactly eight is accepted.
        await expect(
          createUser(db, { email: `${unique("eight")}@example.test`, password: "12345678" }),
        ).resolves.toBeDefined();
      });

      it("stores the password as a salted scrypt hash", async () => {
        const a = await newUser();
        const b = await newUser();
        const rows = await db
          .selectFrom("users")
          .select(["id", "password_hash"])
          .where("id", "in", [a.id, b.id])
          .execute();
        expect(rows).toHaveLength(2);
        for (const row of rows) {
          expect(row.password_hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
          expect(row.password_hash).not.toContain(PASSWORD);
        }
        // Same password, different salt: the hashes differ.
        expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash);
      });

      it("verifies credentials: right password yes, wrong password and unknown email no", async () => {
        const user = await newUser();
        expect(await verifyCredentials(db, user.email, PASSWORD)).toEqual(user);
        expect(await verifyCredentials(db, user.email.toUpperCase(), PASSWORD)).toEqual(user);
        expect(await verifyCredentials(db, user.email, `${PASSWORD}!`)).toBeNull();
        expect(await verifyCredentials(db, user.email, "")).toBeNull();
        expect(await verifyCredentials(db, `${unique("nobody")}@example.test`, PASSWORD)).toBeNull();
      });

      it("returns null for an unknown user id", async () => {
        expect(await getUser(db, randomUUID())).toBeNull();
      });
    });

    describe("organizations and memberships", () => {
      it("creates an organization whose creator is its owner", async () => {
        const user = await newUser();
        const name = unique("Acme");
        const org = await createOrganization(db, { name: `  ${name} `, ownerUserId: user.id });
        expect(org.name).toBe(name);
        expect(await findOrganizationByName(db, name)).toEqual(org);
        expect(await getOrganization(db, org.id)).toEqual(org);
        expect(await getMembership(db, org.id, user.id)).toEqual({ role: "owner" });
        expect(await listOrganizationsForUser(db, user.id)).toEqual([{ ...org, role: "owner" }]);
        expect((await listOrganizations(db)).map((o) => o.id)).toContain(org.id);
      });

      it("rejects a duplicate name, an empty name and an unknown owner", async () => {
        const { user, org } = await newOrg();
        await expectFaultline(
          createOrganization(db, { name: org.name, ownerUserId: user.id }),
          "CONFLICT",
          org.name,
        );
        await expectFaultline(
          createOrganization(db, { name: "   ", ownerUserId: user.id }),
          "BAD_REQUEST",
          /name/,
        );
        await expectFaultline(
          createOrganization(db, { name: unique("orphan"), ownerUserId: randomUUID() }),
          "NOT_FOUND",
        );
      });

      it("a failed creation leaves no organization behind", async () => {
        const name = unique("ghost");
        await expectFaultline(createOrganization(db, { name, ownerUserId: randomUUID() }), "NOT_FOUND");
        expect(await findOrganizationByName(db, name)).toBeNull();
      });

      it("finds no organization by an unknown name", async () => {
        expect(await findOrganizationByName(db, unique("missing"))).toBeNull();
      });

      it("adds members with a role, once", async () => {
        const { org } = await newOrg();
        const member = await newUser();
        expect(await getMembership(db, org.id, member.id)).toBeNull();
        await addMember(db, org.id, member.id, "member");
        expect(await getMembership(db, org.id, member.id)).toEqual({ role: "member" });
        await expectFaultline(addMember(db, org.id, member.id, "admin"), "CONFLICT");
        expect(await getMembership(db, org.id, member.id)).toEqual({ role: "member" });
      });

      it("rejects an unknown role, user or organization when adding a member", async () => {
        const { org } = await newOrg();
        const user = await newUser();
        await expectFaultline(addMember(db, org.id, user.id, "god" as "owner"), "BAD_REQUEST", /role/);
        await expectFaultline(addMember(db, org.id, randomUUID(), "member"), "NOT_FOUND", /user/);
        await expectFaultline(addMember(db, randomUUID(), user.id, "member"), "NOT_FOUND", /organization/);
      });

      it("lists a user's organizations by name with the role in each", async () => {
        const user = await newUser();
        const other = await newUser();
        const b = await createOrganization(db, { name: unique("b-org"), ownerUserId: user.id });
        const a = await createOrganization(db, { name: unique("a-org"), ownerUserId: other.id });
        await addMember(db, a.id, user.id, "admin");
        await createOrganization(db, { name: unique("c-org"), ownerUserId: other.id });
        expect(await listOrganizationsForUser(db, user.id)).toEqual([
          { ...a, role: "admin" },
          { ...b, role: "owner" },
        ]);
        expect(await listOrganizationsForUser(db, randomUUID())).toEqual([]);
      });

      it("requireOrganizationMember answers members and gives outsiders the same NOT_FOUND as a missing org", async () => {
        const { user, org } = await newOrg();
        const outsider = await newUser();
        expect(await requireOrganizationMember(db, org.id, user.id)).toEqual({
          organization: org,
          role: "owner",
        });
        const notMember = await expectFaultline(
          requireOrganizationMember(db, org.id, outsider.id),
          "NOT_FOUND",
        );
        const missing = await expectFaultline(
          requireOrganizationMember(db, randomUUID(), user.id),
          "NOT_FOUND",
        );
        expect(notMember.message).toBe(missing.message);
      });
    });

    describe("logs", () => {
      it("creates a log with the default retention and burst limit", async () => {
        const { org } = await newOrg();
        const log = await createLog(db, { organizationId: org.id, name: " Production " });
        expect(log).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          projectId: expect.any(Number),
          organizationId: org.id,
          name: "Production",
          retentionDays: 90,
          burstLimitPerMinute: 6000,
          createdAt: expect.any(String),
        });
        expect(Number.isInteger(log.projectId) && log.projectId > 0).toBe(true);
        expect(await getLog(db, log.id)).toEqual(log);
        expect(await getLogByProjectId(db, log.projectId)).toEqual(log);
      });

      it("stores explicit settings, including no burst limit", async () => {
        const { org } = await newOrg();
        const log = await createLog(db, {
          organizationId: org.id,
          name: unique("log"),
          retentionDays: 7,
          burstLimitPerMinute: null,
        });
        expect(log.retentionDays).toBe(7);
        expect(log.burstLimitPerMinute).toBeNull();
        expect(await getLog(db, log.id)).toEqual(log);
      });

      it("allocates unique, increasing project ids, also to concurrent creators", async () => {
        const { org } = await newOrg();
        const sequential: number[] = [];
        for (let i = 0; i < 4; i++) {
          sequential.push((await createLog(db, { organizationId: org.id, name: unique("seq") })).projectId);
        }
        for (let i = 1; i < sequential.length; i++) expect(sequential[i]).toBeGreaterThan(sequential[i - 1]!);
        const concurrent = await Promise.all(
          Array.from({ length: 8 }, () => createLog(db, { organizationId: org.id, name: unique("par") })),
        );
        const ids = concurrent.map((l) => l.projectId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(Math.min(...ids)).toBeGreaterThan(sequential.at(-1)!);
      });

      it("rejects a duplicate name within an organization but not across organizations", async () => {
        const { log } = await newLog();
        await expectFaultline(
          createLog(db, { organizationId: log.organizationId, name: log.name }),
          "CONFLICT",
          log.name,
        );
        const { org: other } = await newOrg();
        await expect(createLog(db, { organizationId: other.id, name: log.name })).resolves.toMatchObject({
          name: log.name,
        });
      });

      it("rejects invalid settings naming the field, and an unknown organization", async () => {
        const { org } = await newOrg();
        const organizationId = org.id;
        await expectFaultline(createLog(db, { organizationId, name: "" }), "BAD_REQUEST", /name/);
        await expectFaultline(
          createLog(db, { organizationId, name: "x", retentionDays: 0 }),
          "BAD_REQUEST",
          /retentionDays/,
        );
        await expectFaultline(
          createLog(db, { organizationId, name: "x", retentionDays: 1.5 }),
          "BAD_REQUEST",
          /retentionDays/,
        );
        await expectFaultline(
          createLog(db, { organizationId, name: "x", burstLimitPerMinute: -1 }),
          "BAD_REQUEST",
          /burstLimitPerMinute/,
        );
        await expectFaultline(
          createLog(db, { organizationId: randomUUID(), name: unique("log") }),
          "NOT_FOUND",
        );
        expect(await listLogs(db, organizationId)).toEqual([]);
      });

      it("lists an organization's logs by name, and only those", async () => {
        const { org } = await newOrg();
        const b = await createLog(db, { organizationId: org.id, name: "b-log" });
        const a = await createLog(db, { organizationId: org.id, name: "a-log" });
        await newLog();
        expect(await listLogs(db, org.id)).toEqual([a, b]);
      });

      it("returns null for an unknown log id or project id", async () => {
        expect(await getLog(db, randomUUID())).toBeNull();
        expect(await getLogByProjectId(db, 2_000_000_000)).toBeNull();
        expect(await getLogByProjectId(db, 1.5)).toBeNull();
      });

      it("requireLogMember answers members and gives outsiders the same NOT_FOUND as a missing log", async () => {
        const { user, org, log } = await newLog();
        const member = await newUser();
        await addMember(db, org.id, member.id, "member");
        expect(await requireLogMember(db, log.id, user.id)).toEqual({ log, role: "owner" });
        expect(await requireLogMember(db, log.id, member.id)).toEqual({ log, role: "member" });
        const outsider = await newUser();
        const notMember = await expectFaultline(requireLogMember(db, log.id, outsider.id), "NOT_FOUND");
        const missing = await expectFaultline(requireLogMember(db, randomUUID(), user.id), "NOT_FOUND");
        expect(notMember.message).toBe(missing.message);
      });

      it("updates only the settings given", async () => {
        const { log } = await newLog();
        const renamed = await updateLogSettings(db, log.id, { name: "renamed" });
        expect(renamed).toEqual({ ...log, name: "renamed" });
        const unlimited = await updateLogSettings(db, log.id, {
          retentionDays: 30,
          burstLimitPerMinute: null,
        });
        expect(unlimited).toEqual({ ...log, name: "renamed", retentionDays: 30, burstLimitPerMinute: null });
        const limited = await updateLogSettings(db, log.id, { burstLimitPerMinute: 100 });
        expect(limited.burstLimitPerMinute).toBe(100);
        expect(await updateLogSettings(db, log.id, {})).toEqual(limited);
        expect(await getLog(db, log.id)).toEqual(limited);
      });

      it("rejects invalid updates, a taken name and an unknown log", async () => {
        const { org, log } = await newLog();
        const other = await createLog(db, { organizationId: org.id, name: unique("other") });
        await expectFaultline(updateLogSettings(db, log.id, { name: other.name }), "CONFLICT", other.name);
        await expectFaultline(
          updateLogSettings(db, log.id, { retentionDays: -5 }),
          "BAD_REQUEST",
          /retentionDays/,
        );
        await expectFaultline(
          updateLogSettings(db, log.id, { burstLimitPerMinute: 0 }),
          "BAD_REQUEST",
          /burstLimit/,
        );
        await expectFaultline(updateLogSettings(db, log.id, { name: " " }), "BAD_REQUEST", /name/);
        await expectFaultline(updateLogSettings(db, randomUUID(), { retentionDays: 5 }), "NOT_FOUND");
        expect(await getLog(db, log.id)).toEqual(log);
      });
    });

    describe("ingest keys", () => {
      it("creates a key whose secret is shown once and stored only as its hash", async () => {
        const { log } = await newLog();
        const { key, secret } = await createIngestKey(db, log.id, "backend");
        expect(secret).toMatch(/^[0-9a-f]{32}$/);
        expect(key).toEqual({
          id: expect.any(String),
          logId: log.id,
          name: "backend",
          prefix: secret.slice(0, key.prefix.length),
          createdAt: expect.any(String),
          revokedAt: null,
        });
        expect(key.prefix.length).toBeGreaterThan(0);
        expect(key.prefix.length).toBeLessThan(secret.length);
        const row = await db
          .selectFrom("ingest_keys")
          .selectAll()
          .where("id", "=", key.id)
          .executeTakeFirstOrThrow();
        expect(row.key_hash).toBe(createHash("sha256").update(secret).digest("hex"));
        expect(Object.values(row)).not.toContain(secret);
        expect(await listIngestKeys(db, log.id)).toEqual([key]);
      });

      it("names a key 'default' when no name is given", async () => {
        const { log } = await newLog();
        expect((await createIngestKey(db, log.id)).key.name).toBe("default");
      });

      it("rejects a key for an unknown log", async () => {
        await expectFaultline(createIngestKey(db, randomUUID()), "NOT_FOUND");
      });

      it("finds an active key by its secret, with the log's project id", async () => {
        const { log } = await newLog();
        const { key, secret } = await createIngestKey(db, log.id);
        expect(await findActiveIngestKey(db, secret)).toEqual({
          keyId: key.id,
          logId: log.id,
          projectId: log.projectId,
        });
        expect(await findActiveIngestKey(db, secret.toUpperCase())).toBeNull();
        expect(await findActiveIngestKey(db, "")).toBeNull();
        expect(await findActiveIngestKey(db, "0".repeat(32))).toBeNull();
      });

      it("a revoked key is no longer found; the log's other keys still are", async () => {
        const { log } = await newLog();
        const first = await createIngestKey(db, log.id, "first");
        const second = await createIngestKey(db, log.id, "second");
        await revokeIngestKey(db, log.id, first.key.id);
        expect(await findActiveIngestKey(db, first.secret)).toBeNull();
        expect(await findActiveIngestKey(db, second.secret)).toMatchObject({ keyId: second.key.id });
        const listed = await listIngestKeys(db, log.id);
        expect(listed.map((k) => k.id)).toEqual([first.key.id, second.key.id]);
        expect(listed[0]!.revokedAt).not.toBeNull();
        expect(listed[1]!.revokedAt).toBeNull();
      });

      it("revoking twice keeps the first revocation time", async () => {
        const { log } = await newLog();
        const { key } = await createIngestKey(db, log.id);
        await revokeIngestKey(db, log.id, key.id);
        const [once] = await listIngestKeys(db, log.id);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await revokeIngestKey(db, log.id, key.id);
        const [twice] = await listIngestKeys(db, log.id);
        expect(twice!.revokedAt).toBe(once!.revokedAt);
      });

      it("cannot revoke a key through another log, nor an unknown key", async () => {
        const { log } = await newLog();
        const { log: other } = await newLog();
        const { key, secret } = await createIngestKey(db, log.id);
        await expectFaultline(revokeIngestKey(db, other.id, key.id), "NOT_FOUND");
        await expectFaultline(revokeIngestKey(db, log.id, randomUUID()), "NOT_FOUND");
        expect(await findActiveIngestKey(db, secret)).toMatchObject({ keyId: key.id });
      });
    });

    describe("burst counts", () => {
      const row = (logId: string, minute: string, fingerprint: string, kept: number, dropped: number) => ({
        logId,
        minute,
        fingerprint,
        kept,
        dropped,
      });
      const period = { from: "2026-11-21T10:00:00.000Z", to: "2026-11-21T11:00:00.000Z" };

      it("applies a report once: the same report id again changes nothing", async () => {
        const { log } = await newLog();
        const report = randomUUID();
        const rows = [row(log.id, "2026-11-21T10:02:00.000Z", "fp-a", 50, 1200)];
        expect(await recordBurstCounts(db, report, rows)).toEqual({ applied: true });
        expect(await recordBurstCounts(db, report, rows)).toEqual({ applied: false });
        const summary = await burstSummary(db, log.id, period);
        expect(summary).toMatchObject({ kept: 50, dropped: 1200, received: 1250 });
      });

      it("concurrent applications of one report apply it exactly once", async () => {
        const { log } = await newLog();
        const report = randomUUID();
        const rows = [row(log.id, "2026-11-21T10:05:00.000Z", "fp-a", 7, 3)];
        const results = await Promise.all(
          Array.from({ length: 5 }, () => recordBurstCounts(db, report, rows)),
        );
        expect(results.filter((r) => r.applied)).toHaveLength(1);
        expect(await burstSummary(db, log.id, period)).toMatchObject({ kept: 7, dropped: 3 });
      });

      it("adds reports up per log, minute and fingerprint, and summarises one log's period", async () => {
        const { log } = await newLog();
        const { log: other } = await newLog();
        await recordBurstCounts(db, randomUUID(), [
          row(log.id, "2026-11-21T10:02:00.000Z", "fp-a", 40, 900),
          row(log.id, "2026-11-21T10:02:00.000Z", "fp-b", 10, 0),
          row(log.id, "2026-11-21T10:03:00.000Z", "fp-a", 5, 100),
          // Outside the period on both sides, and another log inside it: none of these count.
          row(log.id, "2026-11-21T09:59:00.000Z", "fp-a", 1000, 1000),
          row(log.id, "2026-11-21T11:00:00.000Z", "fp-a", 1000, 1000),
          row(other.id, "2026-11-21T10:02:00.000Z", "fp-a", 1000, 1000),
        ]);
        // A second report adds to the same keys rather than replacing them.
        await recordBurstCounts(db, randomUUID(), [
          row(log.id, "2026-11-21T10:02:00.000Z", "fp-a", 2, 8),
          row(log.id, "2026-11-21T10:07:00.000Z", "fp-c", 3, 0),
        ]);
        const summary = await burstSummary(db, log.id, period);
        expect(summary).toEqual({
          kept: 60,
          dropped: 1008,
          received: 1068,
          firstMinute: "2026-11-21T10:02:00.000Z",
          lastMinute: "2026-11-21T10:07:00.000Z",
          perMinute: [
            { minute: "2026-11-21T10:02:00.000Z", kept: 52, dropped: 908 },
            { minute: "2026-11-21T10:03:00.000Z", kept: 5, dropped: 100 },
            { minute: "2026-11-21T10:07:00.000Z", kept: 3, dropped: 0 },
          ],
          topFingerprints: [
            { fingerprint: "fp-a", kept: 47, dropped: 1008 },
            { fingerprint: "fp-b", kept: 10, dropped: 0 },
            { fingerprint: "fp-c", kept: 3, dropped: 0 },
          ],
        });
        expect((await burstSummary(db, log.id, period, { top: 1 })).topFingerprints).toEqual([
          { fingerprint: "fp-a", kept: 47, dropped: 1008 },
        ]);
      });

      it("counts a minute whole when the period starts or ends inside it", async () => {
        const { log } = await newLog();
        await recordBurstCounts(db, randomUUID(), [
          row(log.id, "2026-11-21T10:02:00.000Z", "fp-a", 4, 6),
          row(log.id, "2026-11-21T10:03:00.000Z", "fp-a", 1, 1),
        ]);
        const inside = await burstSummary(db, log.id, {
          from: "2026-11-21T10:02:30.000Z",
          to: "2026-11-21T10:02:45.000Z",
        });
        expect(inside).toMatchObject({ kept: 4, dropped: 6, firstMinute: "2026-11-21T10:02:00.000Z" });
      });

      it("sums rows repeated within one report", async () => {
        const { log } = await newLog();
        await recordBurstCounts(db, randomUUID(), [
          row(log.id, "2026-11-21T10:02:00.000Z", "fp-a", 1, 2),
          row(log.id, "2026-11-21T10:02:00.000Z", "fp-a", 3, 4),
        ]);
        expect(await burstSummary(db, log.id, period)).toMatchObject({ kept: 4, dropped: 6 });
      });

      it("a report with many rows is stored whole", async () => {
        const { log } = await newLog();
        const rows = Array.from({ length: 1200 }, (_, i) =>
          row(log.id, "2026-11-21T10:10:00.000Z", `fp-${i}`, 1, i % 2),
        );
        await recordBurstCounts(db, randomUUID(), rows);
        expect(await burstSummary(db, log.id, period)).toMatchObject({ kept: 1200, dropped: 600 });
      });

      it("an empty period has zeros and no minutes", async () => {
        const { log } = await newLog();
        expect(await burstSummary(db, log.id, period)).toEqual({
          kept: 0,
          dropped: 0,
          received: 0,
          firstMinute: null,
          lastMinute: null,
          perMinute: [],
          topFingerprints: [],
        });
      });

      it("rejects an invalid, reversed or too long period", async () => {
        const { log } = await newLog();
        await expectFaultline(
          burstSummary(db, log.id, { from: "yesterday", to: period.to }),
          "BAD_REQUEST",
          /from/,
        );
        await expectFaultline(
          burstSummary(db, log.id, { from: period.to, to: period.from }),
          "BAD_REQUEST",
          /after/,
        );
        await expectFaultline(
          burstSummary(db, log.id, { from: "2026-01-01T00:00:00.000Z", to: "2026-03-01T00:00:00.000Z" }),
          "BAD_REQUEST",
          /31 days/,
        );
      });
    });
  });
}
