import type { MessageSummary } from "@faultline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

// Ingest's sampling constants (apps/ingest/src/burst/burst-guard.ts): the first F messages of
// each fingerprint per minute and 1 in K of the rest are kept over the limit.
const SAMPLE_FIRST = 3;
const SAMPLE_EVERY = 100;

const LIMIT = 50;
const FLOOD = 2000;
const FINGERPRINTS = [
  "Payment gateway timed out",
  "Inventory service refused",
  "Cart lock lost",
  "Tax lookup failed",
];
const CALM = 200;

const owner = { email: "burst@example.com", password: "correct horse battery", org: "Acme", log: "Noisy" };

interface BurstSummary {
  limit: number | null;
  kept: number;
  dropped: number;
  received: number;
  perMinute: { minute: string; kept: number; dropped: number }[];
  topFingerprints: { fingerprint: string; kept: number; dropped: number; title: string | null }[];
}

/**
 * Burst protection end to end, every part in its own process: a flood for one log is bounded,
 * another log posting at the same time is unaffected, and the counts stored through the bus add
 * up exactly to what ingest answered (kept = 201s, dropped = 429s).
 */
describe("burst protection, every part in its own process", () => {
  let system: TestSystem;
  let noisy: CreatedLog;
  let calm: CreatedLog;
  let trpc: ReturnType<typeof trpcClient>;

  beforeAll(async () => {
    system = await startTestSystem({ env: { FAULTLINE_BUS_LOCK_MS: "3000" } });
    noisy = await createUserAndLog(system, owner);
    calm = JSON.parse(
      await system.cli(["logs", "create", "--org", owner.org, "--name", "Calm", "--json"]),
    ) as CreatedLog;
    // The test sets its own limit; the calm log keeps the default (6000/min).
    await system.cli(["logs", "update", "--log", noisy.logId, "--burst-limit", String(LIMIT)]);
    trpc = trpcClient(system.webUrl, await signIn(system.webUrl, owner.email, owner.password));
  });

  afterAll(async () => {
    await system?.cleanup();
  });

  /** Posts bodies with `concurrency` requests in flight; resolves with each answer in order. */
  async function postAll(log: CreatedLog, bodies: unknown[], concurrency: number) {
    const answers: { status: number; id?: string; error?: string; retryAfter: string | null }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const i = next++;
          const res = await fetch(log.endpoint, {
            method: "POST",
            headers: { "content-type": "application/json", api_key: log.ingestKey },
            body: JSON.stringify(bodies[i]),
          });
          const body = (await res.json()) as { id?: string; error?: string };
          answers[i] = {
            status: res.status,
            id: body.id,
            error: body.error,
            retryAfter: res.headers.get("retry-after"),
          };
        }
      }),
    );
    return answers;
  }

  async function searchIds(logId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page: { items: MessageSummary[]; nextCursor: string | null } = await trpc.query(
        "messages.search",
        {
          logId,
          limit: 200,
          cursor,
        },
      );
      ids.push(...page.items.map((m) => m.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  it("bounds a flood, leaves another log alone, and stores counts that add up exactly", async () => {
    // Start early in a UTC minute so the flood normally fits one window (the bound below still
    // allows for every window it touches).
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 25_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));

    const floodBodies = Array.from({ length: FLOOD }, (_, i) => {
      const which = i % FINGERPRINTS.length;
      return realisticMessage(i, { title: FINGERPRINTS[which], type: `Shop.Errors.E${which}` });
    });
    const calmBodies = Array.from({ length: CALM }, (_, i) =>
      realisticMessage(i, { title: "Calm log error", application: "Calm" }),
    );
    const started = Date.now();
    const [flood, quiet] = await Promise.all([postAll(noisy, floodBodies, 16), postAll(calm, calmBodies, 4)]);
    const ended = Date.now();

    const kept = flood.filter((a) => a.status === 201);
    const dropped = flood.filter((a) => a.status === 429);
    // Every message got one of the two answers: no 503s that would be neither kept nor dropped.
    expect(kept.length + dropped.length).toBe(FLOOD);
    expect(dropped[0]).toMatchObject({ error: "burst_limited" });
    expect(Number(dropped[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(dropped[0]!.retryAfter)).toBeLessThanOrEqual(60);

    const windows = Math.floor(ended / 60_000) - Math.floor(started / 60_000) + 1;
    const bound =
      windows * (LIMIT + SAMPLE_FIRST * FINGERPRINTS.length + 1) + Math.ceil((FLOOD - LIMIT) / SAMPLE_EVERY);
    console.log(
      `flood of ${FLOOD} over ${ended - started} ms in ${windows} window(s): ${kept.length} kept (bound ${bound}), ${dropped.length} dropped`,
    );
    expect(kept.length).toBeGreaterThanOrEqual(LIMIT);
    expect(kept.length).toBeLessThanOrEqual(bound);

    expect(quiet.map((a) => a.status)).toEqual(Array(CALM).fill(201));

    // The counts travel ingest → bus (every 5 s) → stats consumer → database → web.
    const period = { from: new Date(started - 120_000), to: new Date(ended + 120_000) };
    const summary = await eventually("the burst counts of the flood", async () => {
      const s: BurstSummary = await trpc.query("logs.burstSummary", { logId: noisy.logId, ...period });
      return s.received >= FLOOD ? s : undefined;
    });
    expect(summary).toMatchObject({
      limit: LIMIT,
      kept: kept.length,
      dropped: dropped.length,
      received: FLOOD,
    });
    expect(summary.perMinute.reduce((n, m) => n + m.kept, 0)).toBe(kept.length);
    expect(summary.topFingerprints).toHaveLength(FINGERPRINTS.length);
    expect(summary.topFingerprints.map((f) => f.title).sort()).toEqual([...FINGERPRINTS].sort());

    const calmSummary = await eventually("the burst counts of the calm log", async () => {
      const s: BurstSummary = await trpc.query("logs.burstSummary", { logId: calm.logId, ...period });
      return s.received >= CALM ? s : undefined;
    });
    expect(calmSummary).toMatchObject({ kept: CALM, dropped: 0 });

    // The operator sees the same numbers from the CLI.
    const cli = JSON.parse(
      await system.cli([
        "logs",
        "burst",
        "--log",
        noisy.logId,
        "--from",
        period.from.toISOString(),
        "--to",
        period.to.toISOString(),
        "--json",
      ]),
    ) as BurstSummary;
    expect(cli).toMatchObject({ kept: kept.length, dropped: dropped.length, received: FLOOD });

    // Every kept message is searchable, and nothing else of the flood is.
    const keptIds = kept.map((a) => a.id!).sort();
    const found = await eventually("every kept message in search", async () => {
      const ids = await searchIds(noisy.logId);
      return ids.length >= keptIds.length ? ids : undefined;
    });
    expect(found.sort()).toEqual(keptIds);
    const calmFound = await eventually("every calm message in search", async () => {
      const ids = await searchIds(calm.logId);
      return ids.length >= CALM ? ids : undefined;
    });
    expect(calmFound.sort()).toEqual(quiet.map((a) => a.id!).sort());
  });
});
