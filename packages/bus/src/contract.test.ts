import { describe, expect, it } from "vitest";
import { probeBusEngine, SkipSuite } from "./contract";
import type { Bus } from "./types";

// describeBusContract itself is exercised by every adapter's test file; here, the decision it
// relies on: skip only for SkipSuite, fail on anything else, release what the probe made.
describe("bus contract probe", () => {
  it("reports the reason when the engine cannot be reached", async () => {
    const reason = await probeBusEngine(async () => {
      throw new SkipSuite("RabbitMQ not reachable at amqp://127.0.0.1:5672 (ECONNREFUSED)");
    });
    expect(reason).toBe("RabbitMQ not reachable at amqp://127.0.0.1:5672 (ECONNREFUSED)");
  });

  it("fails on any other error rather than skipping", async () => {
    await expect(
      probeBusEngine(async () => {
        throw new Error("bad credentials");
      }),
    ).rejects.toThrow("bad credentials");
  });

  it("pings the engine and cleans up when it is reachable", async () => {
    const calls: string[] = [];
    const bus = {
      description: "fake",
      publisher: () => ({
        publish: async () => {},
        ping: async () => void calls.push("ping"),
        close: async () => {},
      }),
      subscriber: () => {
        throw new Error("not used");
      },
      close: async () => {},
    } satisfies Bus;
    const reason = await probeBusEngine(async () => ({
      bus,
      cleanup: async () => void calls.push("cleanup"),
    }));
    expect(reason).toBeUndefined();
    expect(calls).toEqual(["ping", "cleanup"]);
  });
});
