/**
 * Throughput of the SQLite bus for error-sized messages. Run from packages/bus:
 *   npm run bench -- [messages=20000] [bodyBytes=4096] [batch=500]
 *
 * 1. publish only: batches of `batch` into a file with two subscriptions (indexer, archiver),
 *    each batch one transaction with synchronous=FULL, as ingest publishes.
 * 2. receive + complete, one subscription at a time, in this process.
 * 3. end to end: this process publishes while one consumer process per subscription
 *    (test-worker.ts) receives and completes; the rate is messages fully consumed by both.
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { BusMessage } from "../types";
import { createSqliteBus } from "./index";

const count = Number(process.argv[2] ?? 20_000);
const bodyBytes = Number(process.argv[3] ?? 4_096);
const batch = Number(process.argv[4] ?? 500);
const subscriptions = ["indexer", "archiver"];
const here = dirname(fileURLToPath(import.meta.url));

function makeMessages(): BusMessage[] {
  // Text-like bodies (base64) so the size on disk is what it would be for JSON.
  return Array.from({ length: count }, () => ({
    id: randomUUID(),
    type: "message.v1",
    body: Buffer.from(
      randomBytes(Math.ceil((bodyBytes * 3) / 4))
        .toString("base64")
        .slice(0, bodyBytes),
    ),
  }));
}

const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString("en")} msg/s`;

async function publishAll(file: string, messages: BusMessage[]): Promise<number> {
  const bus = createSqliteBus({ file, subscriptions });
  const publisher = bus.publisher();
  const started = performance.now();
  for (let i = 0; i < messages.length; i += batch) await publisher.publish(messages.slice(i, i + batch));
  const ms = performance.now() - started;
  await bus.close();
  return ms;
}

async function inProcess(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "faultline-bus-bench-"));
  try {
    const file = join(dir, "bus.db");
    const ms = await publishAll(file, makeMessages());
    console.log(`publish          ${count} × ${bodyBytes} B, batches of ${batch}: ${rate(count, ms)}`);
    const bus = createSqliteBus({ file, subscriptions });
    for (const name of subscriptions) {
      const sub = bus.subscriber(name);
      const started = performance.now();
      let done = 0;
      for (;;) {
        const got = await sub.receive(batch);
        if (got.length === 0) break;
        await sub.complete(got);
        done += got.length;
      }
      console.log(
        `receive+complete ${name}, batches of ${batch}: ${rate(done, performance.now() - started)}`,
      );
    }
    await bus.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function endToEnd(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "faultline-bus-bench-"));
  try {
    const file = join(dir, "bus.db");
    createSqliteBus({ file, subscriptions }).close();
    const done = new Map<string, number>();
    const workers = subscriptions.map((subscription) => {
      const args = { file, subscription, lockMs: 60_000, batch, workMs: 0, mode: "drain" };
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(here, "test-worker.ts"), JSON.stringify(args)],
        {
          stdio: ["pipe", "pipe", "inherit"],
        },
      );
      let ready: () => void = () => {};
      const isReady = new Promise<void>((resolve) => {
        ready = resolve;
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        const event = JSON.parse(line) as { event: string; ids?: string[] };
        if (event.event === "ready") ready();
        done.set(subscription, (done.get(subscription) ?? 0) + (event.ids?.length ?? 0));
      });
      return { child, isReady, exited: new Promise((resolve) => child.on("exit", resolve)) };
    });
    await Promise.all(workers.map((w) => w.isReady));
    const messages = makeMessages();
    const started = performance.now();
    const publishMs = await publishAll(file, messages);
    while (subscriptions.some((s) => (done.get(s) ?? 0) < count)) await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - started;
    for (const w of workers) w.child.stdin.end();
    await Promise.all(workers.map((w) => w.exited));
    console.log(
      `end to end       publish while 2 consumer processes drain: published at ${rate(count, publishMs)},`,
    );
    console.log(`                 fully consumed by both subscriptions at ${rate(count, ms)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await inProcess();
await endToEnd();
