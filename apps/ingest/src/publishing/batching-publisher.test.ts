import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, type BusMessage, type BusPublisher, createBus } from "@faultline/bus";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { drainSubscription } from "../test-environment";
import { BatchingPublisher, type PublishOutcome } from "./batching-publisher";

let dir: string;
let bus: Bus;
let busPublisher: BusPublisher;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "faultline-batching-"));
  bus = await createBus(
    { kind: "sqlite", file: join(dir, "bus.db"), lockMs: 30_000, maxDeliveries: 10 },
    { subscriptions: ["indexer"], filters: {} },
  );
  busPublisher = bus.publisher();
});

afterEach(async () => {
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

let nextId = 0;
function message(bytes = 10): BusMessage {
  nextId++;
  return { id: `msg-${String(nextId).padStart(6, "0")}`, type: "test", body: Buffer.alloc(bytes, 120) };
}

/** The real bus, with every publish call's size written down. Not a fake: it commits for real. */
class RecordingPublisher implements BusPublisher {
  readonly batches: number[] = [];
  constructor(private readonly inner: BusPublisher) {}
  async publish(messages: readonly BusMessage[]) {
    this.batches.push(messages.length);
    await this.inner.publish(messages);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

/** Failure injection the SQLite bus cannot produce on demand: the next N commits fail. */
class FakeFailingPublisher extends RecordingPublisher {
  failures = 0;
  override async publish(messages: readonly BusMessage[]) {
    if (this.failures > 0) {
      this.failures--;
      this.batches.push(messages.length);
      throw new Error("injected: bus unavailable");
    }
    await super.publish(messages);
  }
}

/** A bus whose commits hang until released (a slow disk or broker), to observe in-flight limits. */
class FakeStallingPublisher extends RecordingPublisher {
  inFlight = 0;
  maxInFlight = 0;
  #release: (() => void)[] = [];
  override async publish(messages: readonly BusMessage[]) {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.#release.push(resolve));
    this.inFlight--;
    await super.publish(messages);
  }
  get stalled() {
    return this.#release.length;
  }
  releaseOne() {
    this.#release.shift()?.();
  }
}

const busIds = async () => (await drainSubscription(bus, "indexer")).map((r) => r.id);
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("BatchingPublisher", () => {
  it("commits requests that arrive together as one publish, and answers each once committed", async () => {
    const recording = new RecordingPublisher(busPublisher);
    const publisher = new BatchingPublisher(recording);
    const messages = Array.from({ length: 100 }, () => message());
    const outcomes = await Promise.all(messages.map((m) => publisher.publish([m])));
    expect(outcomes.every((o) => o.kind === "accepted")).toBe(true);
    expect(recording.batches).toEqual([100]);
    expect(await busIds()).toEqual(messages.map((m) => m.id));
  });

  it("waits while each event-loop turn brings more requests, so they join one commit", async () => {
    const recording = new RecordingPublisher(busPublisher);
    const publisher = new BatchingPublisher(recording, { lingerTurns: 4 });
    // Two requests in the first turn, then one per turn (clients answering at slightly
    // different moments): the queue grows every turn, so the flush keeps waiting.
    const outcomes = [publisher.publish([message()]), publisher.publish([message()])];
    await tick();
    outcomes.push(publisher.publish([message()]));
    await tick();
    outcomes.push(publisher.publish([message()]));
    expect((await Promise.all(outcomes)).every((o) => o.kind === "accepted")).toBe(true);
    expect(recording.batches).toEqual([4]);
  });

  it("commits a lone request on the first quiet turn, and lingers at most lingerTurns turns", async () => {
    const recording = new RecordingPublisher(busPublisher);
    const publisher = new BatchingPublisher(recording, { lingerTurns: 2 });
    expect(await publisher.publish([message()])).toEqual({ kind: "accepted" });
    expect(recording.batches).toEqual([1]);
    // A request every turn: after the first turn and two more, the batch goes without the rest.
    const outcomes: Promise<PublishOutcome>[] = [];
    for (let turn = 0; turn < 6; turn++) {
      outcomes.push(publisher.publish([message()]));
      outcomes.push(publisher.publish([message()]));
      await tick();
    }
    await Promise.all(outcomes);
    expect(recording.batches[1]).toBeLessThanOrEqual(2 * 3);
    expect(recording.batches.slice(1).reduce((a, b) => a + b, 0)).toBe(12);
  });

  it("with lingerTurns 0 commits what the first turn holds", async () => {
    const recording = new RecordingPublisher(busPublisher);
    const publisher = new BatchingPublisher(recording, { lingerTurns: 0 });
    const first = publisher.publish([message()]);
    await tick();
    const second = publisher.publish([message()]);
    await Promise.all([first, second]);
    expect(recording.batches).toEqual([1, 1]);
  });

  it("keeps request order across batches and never splits a request", async () => {
    const recording = new RecordingPublisher(busPublisher);
    const publisher = new BatchingPublisher(recording, { maxBatchMessages: 10 });
    const singles = Array.from({ length: 25 }, () => [message()]);
    const bulk = Array.from({ length: 12 }, () => message());
    const outcomes = await Promise.all([...singles, bulk].map((ms) => publisher.publish(ms)));
    expect(outcomes.every((o) => o.kind === "accepted")).toBe(true);
    expect(recording.batches).toEqual([10, 10, 5, 12]);
    expect(await busIds()).toEqual([...singles.flat(), ...bulk].map((m) => m.id));
  });

  it("answers every request of a failed commit 'unavailable', and only those", async () => {
    const failing = new FakeFailingPublisher(busPublisher);
    failing.failures = 1;
    const errors: number[] = [];
    const publisher = new BatchingPublisher(failing, {
      retryAfterSeconds: 2,
      onPublishError: (_error, count) => errors.push(count),
    });
    const [a, b] = [message(), message()];
    const first = [publisher.publish([a]), publisher.publish([b])];
    expect(await Promise.all(first)).toEqual([
      { kind: "rejected", reason: "unavailable", retryAfterSeconds: 2 },
      { kind: "rejected", reason: "unavailable", retryAfterSeconds: 2 },
    ]);
    const c = message();
    expect(await publisher.publish([c])).toEqual({ kind: "accepted" });
    expect(errors).toEqual([2]);
    expect(failing.batches).toEqual([2, 1]);
    expect(await busIds()).toEqual([c.id]);
  });

  it("refuses at once beyond the message bound, and accepts again once the queue has drained", async () => {
    const publisher = new BatchingPublisher(busPublisher, { maxQueuedMessages: 5 });
    const queued = Array.from({ length: 5 }, () => publisher.publish([message()]));
    expect(publisher.heldMessages).toBe(5);
    const refused = message();
    let outcome: PublishOutcome | undefined;
    void publisher.publish([refused]).then((o) => {
      outcome = o;
    });
    await Promise.resolve();
    // Answered before any commit ran: backpressure costs the client no waiting.
    expect(outcome).toEqual({ kind: "rejected", reason: "overloaded", retryAfterSeconds: 1 });
    expect((await Promise.all(queued)).every((o) => o.kind === "accepted")).toBe(true);
    expect(publisher.heldMessages).toBe(0);
    expect(await publisher.publish([message()])).toEqual({ kind: "accepted" });
    const ids = await busIds();
    expect(ids).toHaveLength(6);
    expect(ids).not.toContain(refused.id);
  });

  it("refuses beyond the byte bound", async () => {
    const publisher = new BatchingPublisher(busPublisher, { maxQueuedBytes: 1000 });
    const first = publisher.publish([message(600)]);
    expect(await publisher.publish([message(600)])).toMatchObject({ kind: "rejected", reason: "overloaded" });
    expect(await first).toEqual({ kind: "accepted" });
    expect(await publisher.publish([message(600)])).toEqual({ kind: "accepted" });
  });

  it("runs one commit at a time and sends what accumulated meanwhile as the next batch", async () => {
    const stalling = new FakeStallingPublisher(busPublisher);
    const publisher = new BatchingPublisher(stalling);
    const first = publisher.publish([message()]);
    await tick();
    expect(stalling.stalled).toBe(1);
    const during = Array.from({ length: 20 }, () => publisher.publish([message()]));
    await tick();
    expect(stalling.stalled).toBe(1);
    stalling.releaseOne();
    expect(await first).toEqual({ kind: "accepted" });
    await tick();
    stalling.releaseOne();
    expect((await Promise.all(during)).every((o) => o.kind === "accepted")).toBe(true);
    expect(stalling.batches).toEqual([1, 20]);
    expect(stalling.maxInFlight).toBe(1);
  });

  it("on drain, commits what is queued and then refuses with 'closed'", async () => {
    const publisher = new BatchingPublisher(busPublisher);
    const queued = [message(), message()];
    const outcomes = queued.map((m) => publisher.publish([m]));
    await publisher.drain();
    expect(await Promise.all(outcomes)).toEqual([{ kind: "accepted" }, { kind: "accepted" }]);
    expect(await publisher.publish([message()])).toMatchObject({ kind: "rejected", reason: "closed" });
    expect(await busIds()).toEqual(queued.map((m) => m.id));
  });
});
