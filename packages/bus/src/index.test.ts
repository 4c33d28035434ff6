import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BusConfig } from "@faultline/config";
import { describe, expect, it } from "vitest";
import { createBus } from "./index";

describe("createBus", () => {
  it("builds the SQLite bus from its configuration", async () => {
    const dir = mkdtempSync(join(tmpdir(), "faultline-bus-"));
    try {
      const file = join(dir, "bus.db");
      const bus = await createBus(
        { kind: "sqlite", file, lockMs: 1_000, maxDeliveries: 2 },
        { subscriptions: ["s"], filters: {} },
      );
      expect(bus.description).toBe(`sqlite (${file})`);
      await bus.publisher().publish([{ id: "m1", type: "t", body: Buffer.from("x") }]);
      const sub = bus.subscriber("s");
      const [got] = await sub.receive(1);
      await sub.abandon([got!]);
      const [again] = await sub.receive(1);
      await sub.abandon([again!]);
      // maxDeliveries from the configuration: the second abandon dead-letters it.
      expect((await sub.peekDeadLetters(1)).map((d) => d.deliveryCount)).toEqual([2]);
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("passes the filters on to the bus", async () => {
    const dir = mkdtempSync(join(tmpdir(), "faultline-bus-"));
    try {
      const bus = await createBus(
        { kind: "sqlite", file: join(dir, "bus.db"), lockMs: 1_000, maxDeliveries: 2 },
        { subscriptions: ["errors", "counts"], filters: { counts: ["burst-counts.v1"] } },
      );
      await bus.publisher().publish([
        { id: "m1", type: "message.v1", body: Buffer.from("x") },
        { id: "c1", type: "burst-counts.v1", body: Buffer.from("y") },
      ]);
      expect((await bus.subscriber("counts").receive(10)).map((m) => m.id)).toEqual(["c1"]);
      expect((await bus.subscriber("errors").receive(10)).map((m) => m.id)).toEqual(["m1", "c1"]);
      await bus.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown kind instead of falling back to a default, naming the known ones", async () => {
    const config = { kind: "rabbit", url: "amqp://localhost" } as unknown as BusConfig;
    await expect(createBus(config, { subscriptions: [], filters: {} })).rejects.toThrow(
      /unknown bus kind "rabbit"; known kinds: "sqlite", "rabbitmq", "azure-service-bus"/,
    );
  });
});
