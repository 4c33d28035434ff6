import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
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

it("answers 201 to a request in flight during SIGTERM, and its message is on the bus", async () => {
  env = await openTestEnvironment();
  const port = await freePort();
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, FAULTLINE_DATA_DIR: env.config.dataDir, FAULTLINE_INGEST_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  const messages: string[] = [];
  let buffered = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const p of parts) messages.push(String((JSON.parse(p) as { msg: unknown }).msg));
  });
  const waitFor = async (msg: string) => {
    const deadline = Date.now() + 15_000;
    while (!messages.includes(msg)) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no "${msg}" from ingest`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await waitFor("ingest listening");

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
  await waitFor("stopping: draining requests and the publish queue");
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
