import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MESSAGE_TYPE } from "@faultline/core";
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

/** Starts the real ingest process on the test environment's data and waits until it listens. */
async function startIngest(environment: TestEnvironment) {
  const port = await freePort();
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      ...process.env,
      FAULTLINE_DATA_DIR: environment.config.dataDir,
      FAULTLINE_INGEST_PORT: String(port),
    },
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
  /** Resolves once ingest has logged a line with this msg. */
  const logged = async (msg: string) => {
    const deadline = Date.now() + 15_000;
    while (!lines.some((l) => l.msg === msg)) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no "${msg}" from ingest`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await logged("ingest listening");
  return { proc, port, lines, logged };
}

it("starts from the environment, logs its engines, accepts a message and stops on SIGTERM", async () => {
  env = await openTestEnvironment();
  const { proc, port, lines } = await startIngest(env);
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

it("answers 201 to a request in flight during SIGTERM, and its message is on the bus", async () => {
  env = await openTestEnvironment();
  const { proc, port, logged } = await startIngest(env);

  // Half the body is sent, SIGTERM arrives, then the rest: the request began before shutdown.
  const body = Buffer.from(JSON.stringify({ title: "in flight during SIGTERM" }));
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let answer = "";
  socket.on("data", (chunk: Buffer) => {
    answer += chunk.toString("utf8");
  });
  const closed = once(socket, "close");
  socket.write(
    `POST /v3/messages/${env.log.logId} HTTP/1.1\r\nHost: ingest\r\ncontent-type: application/json\r\napi_key: ${env.log.secret}\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  socket.write(body.subarray(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 200));
  proc.kill("SIGTERM");
  await logged("stopping: draining requests and the publish queue");
  expect(proc.exitCode).toBeNull();
  socket.write(body.subarray(10));
  await closed;

  const [head, json] = answer.split("\r\n\r\n");
  expect(head).toMatch(/^HTTP\/1\.1 201/);
  // The server tells the client this connection ends with the answer.
  expect(head).toMatch(/\r\nconnection: close/i);
  const { id } = JSON.parse(json!) as { id: string };
  const [code] = await once(proc, "exit");
  expect(code).toBe(0);
  const onBus = (await drainSubscription(env.bus, "indexer")).filter((m) => m.type === MESSAGE_TYPE);
  expect(onBus.map((m) => m.id)).toEqual([id]);
}, 30_000);
