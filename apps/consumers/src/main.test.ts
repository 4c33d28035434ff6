import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { LOG_ID, makeMessages, openTestEnvironment, publish, type TestEnvironment } from "./test-environment";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

let env: TestEnvironment | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
  child = undefined;
  await env?.close();
  env = undefined;
});

/** Starts the worker process the way the launcher does, from source (tsx) instead of the bundle. */
function start(
  args: string[],
  dataDir = "/nonexistent",
): { child: ChildProcess; stdout: string[]; stderr: () => string } {
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    env: { ...process.env, FAULTLINE_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  const stdout: string[] = [];
  let buffered = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    stdout.push(...lines);
  });
  let stderr = "";
  proc.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return { child: proc, stdout, stderr: () => stderr };
}

async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("consumers main", () => {
  it("refuses an unknown worker with the usage and exit code 2", async () => {
    const proc = start(["mailer"]);
    const [code] = await once(proc.child, "exit");
    expect(code).toBe(2);
    expect(proc.stderr()).toMatch(
      /unknown worker "mailer"\nusage: node dist\/main\.mjs <indexer\|archiver\|stats>/,
    );
  });

  it("refuses a batch size that is not a positive whole number", async () => {
    const proc = start(["indexer", "--batch-size", "0"]);
    const [code] = await once(proc.child, "exit");
    expect(code).toBe(2);
    expect(proc.stderr()).toMatch(/--batch-size must be a whole number/);
  });

  it("announces ready, indexes what is published and stops cleanly on SIGTERM", async () => {
    env = await openTestEnvironment();
    const proc = start(["indexer", "--batch-size", "32"], env.dataDir);
    const ready = await waitFor(() =>
      proc.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "ready"),
    );
    expect(ready).toMatchObject({ worker: "indexer", batchSize: 32, level: "info" });
    expect(String(ready.bus)).toContain("sqlite");

    await publish(env.bus, makeMessages(100));
    await waitFor(async () => (await env!.search.count(LOG_ID)) === 100 || undefined);

    proc.child.kill("SIGTERM");
    const [code] = await once(proc.child, "exit");
    expect(code).toBe(0);
    const stopped = proc.stdout
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === "stopped");
    expect(stopped).toMatchObject({ worker: "indexer", completed: 100, deadLettered: 0 });
  }, 30_000);
});
