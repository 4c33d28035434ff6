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
        { subscriptions: ["s"] },
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

  it("refuses an unknown kind instead of falling back to a default, naming the known ones", async () => {
    const config = { kind: "rabbit", url: "amqp://localhost" } as unknown as BusConfig;
    await expect(createBus(config, { subscriptions: [] })).rejects.toThrow(
      /unknown bus kind "rabbit"; known kinds: "sqlite", "rabbitmq", "azure-service-bus"/,
    );
  });
});
