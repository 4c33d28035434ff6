import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { describe, expect, it, onTestFinished } from "vitest";
import { describeBusContract } from "../contract";
import type { Bus, BusMessage, BusOptions, ReceivedMessage } from "../types";
import { createSqliteBus } from "./index";

const here = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = join(here, "..", "..");
const WORKER = join(here, "test-worker.ts");

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "faultline-bus-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "bus.db");
}

describeBusContract("sqlite", async (opts: BusOptions) => {
  const dir = mkdtempSync(join(tmpdir(), "faultline-bus-contract-"));
  const bus = createSqliteBus({ ...opts, file: join(dir, "bus.db") });
  return {
    bus,
    cleanup: async () => {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

function openBus(options: BusOptions & { file: string }): Bus {
  const bus = createSqliteBus(options);
  onTestFinished(() => bus.close());
  return bus;
}

function messages(count: number): BusMessage[] {
  const run = randomUUID();
  return Array.from({ length: count }, (_, i) => ({
    id: `${run}-${i}`,
    type: "test.v1",
    body: Buffer.from(JSON.stringify({ n: i })),
  }));
}

async function drain(bus: Bus, subscription: string, waitMs = 0): Promise<ReceivedMessage[]> {
  const sub = bus.subscriber(subscription);
  const all: ReceivedMessage[] = [];
  for (;;) {
    const batch = await sub.receive(500, { waitMs });
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

type WorkerEvent =
  | { event: "ready" }
  | { event: "completed"; ids: string[]; counts: number[] }
  | { event: "holding"; ids: string[] };

interface Worker {
  child: ChildProcess;
  events: WorkerEvent[];
  exited: Promise<number | null>;
  waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void>;
}

/** Starts test-worker.ts as a separate Node process; it is killed when the test finishes. */
function startWorker(args: {
  file: string;
  subscription: string;
  lockMs: number;
  batch: number;
  workMs?: number;
  mode: "drain" | "hold";
  filters?: Record<string, string[]>;
}): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify({ workMs: 0, ...args })], {
    cwd: PACKAGE_DIR,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const events: WorkerEvent[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) =>
    events.push(JSON.parse(line) as WorkerEvent),
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return {
    child,
    events,
    exited,
    async waitFor(done, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}) before ${what}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

const completedBy = (w: Worker) =>
  w.events.flatMap((e) =>
    e.event === "completed" ? e.ids.map((id, i) => ({ id, count: e.counts[i] })) : [],
  );

/** The schema a Faultline before filters (schema version 1) wrote, verbatim. */
const SCHEMA_1 = `
  CREATE TABLE bus_subscriptions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  CREATE TABLE bus_bodies (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, type TEXT NOT NULL, body BLOB NOT NULL,
    enqueued_at INTEGER NOT NULL, pending INTEGER NOT NULL
  );
  CREATE TABLE bus_deliveries (
    sub INTEGER NOT NULL, seq INTEGER NOT NULL, delivery_count INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0, lock_token TEXT, PRIMARY KEY (sub, seq)
  ) WITHOUT ROWID;
  CREATE TABLE bus_dead_letters (
    dl INTEGER PRIMARY KEY AUTOINCREMENT, sub INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
    body BLOB NOT NULL, enqueued_at INTEGER NOT NULL, delivery_count INTEGER NOT NULL,
    reason TEXT NOT NULL, dead_lettered_at INTEGER NOT NULL
  );
  CREATE INDEX bus_dead_letters_by_sub ON bus_dead_letters (sub, dl);
  PRAGMA user_version = 1;
`;

/** A schema-1 file with subscription "s" and one message of type "old.v1" waiting in it. */
function schema1File(): { file: string; waitingId: string } {
  const file = tempFile();
  const raw = new Database(file);
  raw.pragma("journal_mode = WAL");
  raw.exec(SCHEMA_1);
  raw.prepare("INSERT INTO bus_subscriptions (name) VALUES ('s')").run();
  const waitingId = randomUUID();
  raw
    .prepare("INSERT INTO bus_bodies (id, type, body, enqueued_at, pending) VALUES (?, 'old.v1', ?, ?, 1)")
    .run(waitingId, Buffer.from("from schema 1"), Date.now());
  raw.prepare("INSERT INTO bus_deliveries (sub, seq) VALUES (1, 1)").run();
  raw.close();
  return { file, waitingId };
}

function typed(types: readonly string[]): BusMessage[] {
  const run = randomUUID();
  return types.map((type, i) => ({ id: `${run}-${i}`, type, body: Buffer.from(type) }));
}

describe("sqlite bus", () => {
  it("a new bus on the same file sees every unsettled message", async () => {
    const file = tempFile();
    const sent = messages(5);
    const first = createSqliteBus({ file, subscriptions: ["s"], lockMs: 1_000 });
    await first.publisher().publish(sent);
    const sub = first.subscriber("s");
    const [done] = await sub.receive(1);
    await sub.complete([done!]);
    const locked = await sub.receive(1);
    expect(locked.map((m) => m.id)).toEqual([sent[1]!.id]);
    await first.close();

    const second = openBus({ file, subscriptions: ["s"] });
    // The lock taken before closing still holds: a restart does not hand the message out twice.
    expect((await drain(second, "s")).map((m) => m.id)).toEqual(sent.slice(2).map((m) => m.id));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const later = await drain(second, "s");
    expect(later.map((m) => [m.id, m.deliveryCount])).toEqual([[sent[1]!.id, 2]]);
  });

  it("subscriptions are created once however often the bus starts", async () => {
    const file = tempFile();
    openBus({ file, subscriptions: ["a", "b"] });
    openBus({ file, subscriptions: ["b", "c"] });
    const bus = openBus({ file, subscriptions: [] });
    await bus.publisher().publish(messages(1));
    for (const name of ["a", "b", "c"]) expect(await drain(bus, name)).toHaveLength(1);
    expect(() => bus.subscriber("d")).toThrow(/unknown subscription "d"/);
  });

  it("a message body is deleted once every subscription has settled it", async () => {
    const file = tempFile();
    const bus = openBus({ file, subscriptions: ["a", "b"] });
    await bus.publisher().publish(messages(10));
    const raw = new Database(file, { readonly: true });
    onTestFinished(() => {
      raw.close();
    });
    const bodies = () => raw.prepare("SELECT count(*) FROM bus_bodies").pluck().get();

    await bus.subscriber("a").complete(await drain(bus, "a"));
    expect(bodies()).toBe(10);
    const b = bus.subscriber("b");
    const fromB = await b.receive(10);
    await b.complete(fromB.slice(0, 5));
    expect(bodies()).toBe(5);
    await b.deadLetter(fromB.slice(5), "kept as a dead letter");
    expect(bodies()).toBe(0);
    expect((await b.peekDeadLetters(10)).map((d) => d.reason)).toEqual(
      Array(5).fill("kept as a dead letter"),
    );
  });

  it("a file from before filters is upgraded in place: its messages stay, and filters apply", async () => {
    const { file, waitingId } = schema1File();
    const bus = openBus({ file, subscriptions: ["s"], filters: { s: ["new.v1"] } });
    const sent = typed(["old.v1", "new.v1"]);
    await bus.publisher().publish(sent);
    // The message waiting since schema 1 is delivered; of the new ones only the filter's type.
    expect((await drain(bus, "s")).map((m) => m.id)).toEqual([waitingId, sent[1]!.id]);
    const raw = new Database(file, { readonly: true });
    onTestFinished(() => {
      raw.close();
    });
    expect(raw.pragma("user_version", { simple: true })).toBe(2);
    expect(raw.prepare("SELECT name, types FROM bus_subscriptions").all()).toEqual([
      { name: "s", types: '["new.v1"]' },
    ]);
  });

  it("processes that open a file from before filters at the same moment upgrade it once, without errors", async () => {
    const { file, waitingId } = schema1File();
    const workers = [0, 1, 2].map(() =>
      startWorker({
        file,
        subscription: "s",
        lockMs: 30_000,
        batch: 10,
        mode: "drain",
        filters: { s: ["old.v1"] },
      }),
    );
    for (const w of workers) await w.waitFor(() => w.events.length > 0, 20_000, "worker start");
    const total = () => workers.reduce((n, w) => n + completedBy(w).length, 0);
    await workers[0]!.waitFor(() => total() >= 1, 10_000, "the waiting message completed");
    for (const w of workers) w.child.stdin!.end();
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
    expect(workers.flatMap(completedBy).map((c) => c.id)).toEqual([waitingId]);
    const raw = new Database(file, { readonly: true });
    onTestFinished(() => {
      raw.close();
    });
    expect(raw.pragma("user_version", { simple: true })).toBe(2);
    const columns = raw.prepare("SELECT name FROM pragma_table_info('bus_subscriptions')").pluck().all();
    expect(columns).toEqual(["id", "name", "types"]);
  }, 60_000);

  it("a filter changed at restart applies to later messages; copies already made stay", async () => {
    const file = tempFile();
    const before = createSqliteBus({ file, subscriptions: ["s"], filters: { s: ["a.v1"] } });
    const early = typed(["a.v1", "b.v1"]);
    await before.publisher().publish(early);
    await before.close();

    const after = openBus({ file, subscriptions: ["s"], filters: { s: ["b.v1"] } });
    const late = typed(["a.v1", "b.v1"]);
    await after.publisher().publish(late);
    expect((await drain(after, "s")).map((m) => m.id)).toEqual([early[0]!.id, late[1]!.id]);

    // Named without a filter, the subscription takes every type again.
    const unfiltered = openBus({ file, subscriptions: ["s"] });
    const last = typed(["a.v1", "b.v1"]);
    await unfiltered.publisher().publish(last);
    expect((await drain(unfiltered, "s")).map((m) => m.id)).toEqual(last.map((m) => m.id));
  });

  it("a message no subscription takes leaves nothing in the file", async () => {
    const file = tempFile();
    const bus = openBus({ file, subscriptions: ["a", "b"], filters: { a: ["x.v1"], b: ["x.v1", "y.v1"] } });
    await bus.publisher().publish(typed(["z.v1", "y.v1", "z.v1"]));
    const raw = new Database(file, { readonly: true });
    onTestFinished(() => {
      raw.close();
    });
    // One body (y.v1) with one delivery row (b's); the z.v1 messages were stored nowhere.
    expect(raw.prepare("SELECT type, pending FROM bus_bodies").all()).toEqual([{ type: "y.v1", pending: 1 }]);
    expect(raw.prepare("SELECT count(*) FROM bus_deliveries").pluck().get()).toBe(1);
  });

  it("rejects settings that cannot work", () => {
    const file = join(tmpdir(), "never-created", "bus.db");
    expect(() => createSqliteBus({ file, subscriptions: [], lockMs: 0 })).toThrow(/lockMs/);
    expect(() => createSqliteBus({ file, subscriptions: [], maxDeliveries: 0 })).toThrow(/maxDeliveries/);
    expect(() => createSqliteBus({ file, subscriptions: [" "] })).toThrow(/subscription/);
    expect(() => createSqliteBus({ file, subscriptions: ["a"], filters: { b: ["x"] } })).toThrow(
      /filters name subscription "b", which is not in subscriptions/,
    );
    for (const type of ["", "x.*", "#", "x".repeat(256)]) {
      expect(() => createSqliteBus({ file, subscriptions: ["a"], filters: { a: [type] } })).toThrow(
        /the filter of subscription "a" has type/,
      );
    }
  });

  it("competing consumer processes complete each of 2,000 messages exactly once", async () => {
    const file = tempFile();
    // The workers open the (not yet existing) file at the same moment: schema creation races.
    const workers = [0, 1, 2].map(() =>
      startWorker({ file, subscription: "indexer", lockMs: 30_000, batch: 50, workMs: 10, mode: "drain" }),
    );
    for (const w of workers) await w.waitFor(() => w.events.length > 0, 20_000, "worker start");

    const bus = openBus({ file, subscriptions: ["indexer"] });
    const sent = messages(2_000);
    const publisher = bus.publisher();
    for (let i = 0; i < sent.length; i += 100) await publisher.publish(sent.slice(i, i + 100));

    const total = () => workers.reduce((n, w) => n + completedBy(w).length, 0);
    await workers[0]!.waitFor(() => total() >= sent.length, 30_000, "all messages completed");
    for (const w of workers) w.child.stdin!.end();
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);

    const completed = workers.flatMap(completedBy);
    expect(completed.map((c) => c.id).sort()).toEqual(sent.map((m) => m.id).sort());
    expect(new Set(completed.map((c) => c.id)).size).toBe(sent.length);
    expect(completed.every((c) => c.count === 1)).toBe(true);
    // Proof that they competed rather than one process doing everything.
    expect(workers.filter((w) => completedBy(w).length > 0).length).toBeGreaterThanOrEqual(2);
    expect(await drain(bus, "indexer")).toEqual([]);
  }, 60_000);

  it("a consumer killed mid-batch loses nothing: its locked messages come back after the lock expires", async () => {
    const file = tempFile();
    const bus = openBus({ file, subscriptions: ["indexer"], lockMs: 30_000 });
    const sent = messages(200);
    await bus.publisher().publish(sent);

    const lockMs = 4_000;
    const worker = startWorker({ file, subscription: "indexer", lockMs, batch: 100, mode: "hold" });
    await worker.waitFor(
      () => worker.events.some((e) => e.event === "holding"),
      20_000,
      "the worker's batch",
    );
    worker.child.kill("SIGKILL");
    await worker.exited;
    const held = worker.events.flatMap((e) => (e.event === "holding" ? e.ids : []));
    const completedByWorker = completedBy(worker).map((c) => c.id);
    expect(held).toHaveLength(50);
    expect(completedByWorker).toHaveLength(50);

    // While the dead worker's locks hold, only the messages it never took are available.
    const sub = bus.subscriber("indexer");
    const untouched = await drain(bus, "indexer");
    const taken = new Set([...held, ...completedByWorker]);
    expect(untouched.map((m) => m.id)).toEqual(sent.map((m) => m.id).filter((id) => !taken.has(id)));
    await sub.complete(untouched);

    const redelivered: ReceivedMessage[] = [];
    const deadline = Date.now() + lockMs + 10_000;
    while (redelivered.length < held.length && Date.now() < deadline) {
      redelivered.push(...(await sub.receive(100, { waitMs: 1_000 })));
    }
    expect(redelivered.map((m) => m.id).sort()).toEqual([...held].sort());
    expect(redelivered.every((m) => m.deliveryCount === 2)).toBe(true);
    await sub.complete(redelivered);

    const everyCompletion = [
      ...completedByWorker,
      ...untouched.map((m) => m.id),
      ...redelivered.map((m) => m.id),
    ];
    expect(everyCompletion.sort()).toEqual(sent.map((m) => m.id).sort());
    expect(await drain(bus, "indexer")).toEqual([]);
  }, 60_000);
});
