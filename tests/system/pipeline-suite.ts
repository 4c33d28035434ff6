import { createArchiveStore, readArchivedMessages } from "@faultline/archive";
import { loadConfig } from "@faultline/config";
import type { MessageSummary } from "@faultline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineSet } from "../support/engines";
import {
  type CreatedLog,
  createUserAndLog,
  eventually,
  realisticMessage,
  signIn,
  startTestSystem,
  type TestSystem,
  trpcClient,
} from "../support/harness";

const owner = { email: "owner@example.com", password: "correct horse battery", org: "Acme", log: "Shop" };

/**
 * One error's whole journey, every part in its own process: the same suite runs on the
 * embedded engines and on the production ones, which must behave alike.
 */
export function describePipeline(name: string, engines: () => Promise<EngineSet>) {
  describe(`one error's whole journey on ${name}, every part in its own process`, () => {
    let system: TestSystem;
    let engineSet: EngineSet | undefined;
    let log: CreatedLog;
    let trpc: ReturnType<typeof trpcClient>;
    const accepted: string[] = [];

    beforeAll(async () => {
      // A short bus lock so that messages a killed indexer held are redelivered within seconds;
      // production keeps the 30 s default.
      engineSet = await engines();
      system = await startTestSystem({ env: { FAULTLINE_BUS_LOCK_MS: "3000", ...engineSet.env } });
      log = await createUserAndLog(system, owner);
      trpc = trpcClient(system.webUrl, await signIn(system.webUrl, owner.email, owner.password));
    });

    afterAll(async () => {
      await system?.cleanup();
      await engineSet?.cleanup();
    });

    async function post(body: unknown): Promise<string> {
      const res = await fetch(`${log.endpoint}`, {
        method: "POST",
        headers: { "content-type": "application/json", api_key: log.ingestKey },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { id?: string; message?: string };
      if (res.status !== 201 || !answer.id)
        throw new Error(`ingest answered ${res.status}: ${JSON.stringify(answer)}`);
      expect(res.headers.get("location")).toBe(`/v3/messages/${log.logId}/${answer.id}`);
      return answer.id;
    }

    async function postBulk(bodies: unknown[]): Promise<string[]> {
      const res = await fetch(`${log.endpoint}/_bulk?api_key=${log.ingestKey}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(bodies),
      });
      expect(res.status).toBeLessThan(300);
      const results = (await res.json()) as { id?: string; statusCode: number }[];
      expect(results).toHaveLength(bodies.length);
      return results.map((r) => {
        expect(r.statusCode).toBe(201);
        return r.id!;
      });
    }

    /** Every id the web API lists for the log, page by page (duplicates kept, to be detected). */
    async function listedIds(): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page: { items: MessageSummary[]; nextCursor: string | null } = await trpc.query(
          "messages.search",
          {
            logId: log.logId,
            limit: 200,
            cursor,
          },
        );
        ids.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return ids;
    }

    async function postConcurrently(
      n: number,
      concurrency: number,
      offset: number,
      onAccepted?: (count: number) => void,
    ) {
      let next = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            const i = offset + next++;
            accepted.push(await post(realisticMessage(i)));
            onAccepted?.(++done);
          }
        }),
      );
    }

    it("a posted error is found through the web's search API within seconds", async () => {
      const started = Date.now();
      const id = await post(realisticMessage(0, { title: "First error of the day", severity: "Error" }));
      accepted.push(id);
      const found = await eventually("the message in search", async () => {
        const page: { items: MessageSummary[] } = await trpc.query("messages.search", {
          logId: log.logId,
          query: "first error",
        });
        return page.items.find((m) => m.id === id);
      });
      const elapsed = Date.now() - started;
      console.log(`post → searchable through tRPC: ${elapsed} ms`);
      expect(found).toMatchObject({ title: "First error of the day", severity: "Error", hostname: "web-1" });
      const details: { id: string; detail: string; data: { key: string; value: string }[] } =
        await trpc.query("messages.get", {
          logId: log.logId,
          id,
        });
      expect(details.detail).toContain("deadlocked");
      expect(details.data).toContainEqual({ key: "orderId", value: "0" });
    });

    it("1,000 messages posted singly and in bulk are each found exactly once", async () => {
      await postConcurrently(500, 20, 1);
      for (let b = 0; b < 5; b++) {
        accepted.push(
          ...(await postBulk(Array.from({ length: 100 }, (_, i) => realisticMessage(1000 + b * 100 + i)))),
        );
      }
      expect(new Set(accepted).size).toBe(1001);
      const ids = await eventually("all 1,001 messages listed", async () => {
        const listed = await listedIds();
        return listed.length >= accepted.length ? listed : undefined;
      });
      expect(ids).toHaveLength(accepted.length);
      expect(new Set(ids)).toEqual(new Set(accepted));
    });

    it("killing the indexer with SIGKILL mid-stream loses nothing and duplicates nothing", async () => {
      const before = accepted.length;
      let killed: Promise<void> | undefined;
      await postConcurrently(1500, 10, 5000, (count) => {
        if (count === 300) killed = system.kill("indexer", "SIGKILL");
      });
      await killed;
      expect(system.output.some((l) => l.startsWith("[indexer]"))).toBe(true);
      await system.restart("indexer");
      expect(accepted.length).toBe(before + 1500);
      const ids = await eventually(
        "every message listed after the restart",
        async () => {
          const listed = await listedIds();
          return listed.length >= accepted.length ? listed : undefined;
        },
        120_000,
      );
      expect(ids).toHaveLength(accepted.length);
      expect(new Set(ids)).toEqual(new Set(accepted));
    });

    it("every accepted message is archived, so the index can be rebuilt", async () => {
      const store = await createArchiveStore(loadConfig(system.env).archive);
      const archived = await eventually("every message archived", async () => {
        const ids = new Set<string>();
        for await (const m of readArchivedMessages(store, `${log.logId}/`)) ids.add(m.id);
        return ids.size >= accepted.length ? ids : undefined;
      });
      expect(archived).toEqual(new Set(accepted));
      await store.close();
    });

    it("someone outside the organization cannot read the log", async () => {
      await system.cli([
        "users",
        "create",
        "--email",
        "stranger@example.com",
        "--password",
        "another password",
        "--org",
        "Other",
      ]);
      const stranger = trpcClient(
        system.webUrl,
        await signIn(system.webUrl, "stranger@example.com", "another password"),
      );
      await expect(stranger.query("messages.search", { logId: log.logId })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await expect(
        stranger.query("messages.get", { logId: log.logId, id: accepted[0] }),
      ).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    });

    it("bad input gets a clear error, not a crash", async () => {
      const res = await fetch(log.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", api_key: log.ingestKey },
        body: JSON.stringify({ severity: "Loud" }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { message: string };
      expect(body.message).toMatch(/title/);
      expect(body.message).toMatch(/severity/);
      const noKey = await fetch(log.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(noKey.status).toBe(401);
      expect((await fetch(`${system.ingestUrl}/healthz`)).status).toBe(200);
    });
  });
}
