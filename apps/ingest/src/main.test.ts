import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { drainSubscription, openTestEnvironment, type TestEnvironment } from "./test-environment";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

let env: TestEnvironment | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
  await env?.close();
  env = undefined;
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

it("starts from the environment, logs its engines, accepts a message and stops on SIGTERM", async () => {
  env = await openTestEnvironment();
  const port = await freePort();
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, FAULTLINE_DATA_DIR: env.config.dataDir, FAULTLINE_INGEST_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  const deadline = Date.now() + 15_000;
  while (!lines.some((l) => l.msg === "ingest listening")) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error("ingest did not start");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(lines.find((l) => l.msg === "ingest listening")).toMatchObject({
    engines: expect.stringContaining("bus=sqlite"),
    port,
  });

  const res = await fetch(`http://127.0.0.1:${port}/v3/messages/${env.log.logId}`, {
    method: "POST",
    headers: { "content-type": "application/json", api_key: env.log.secret },
    body: JSON.stringify({ title: "from the real process" }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };

  proc.kill("SIGTERM");
  const [code] = await once(proc, "exit");
  expect(code).toBe(0);
  expect(lines.some((l) => l.msg === "stopped")).toBe(true);
  expect((await drainSubscription(env.bus, "indexer")).map((r) => r.id)).toEqual([id]);
}, 30_000);

it("refuses to start on a database without tables, naming the fix", async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultline-ingest-empty-"));
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, FAULTLINE_DATA_DIR: dir, FAULTLINE_INGEST_PORT: String(await freePort()) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let stderr = "";
  proc.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const [code] = await once(proc, "exit");
  rmSync(dir, { recursive: true, force: true });
  expect(code).toBe(2);
  expect(stderr).toMatch(/run the migrations first/);
}, 30_000);
