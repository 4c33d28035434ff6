/**
 * A consumer process for the SQLite bus tests (started with `node --import tsx`). It reports on
 * stdout, one JSON object a line, so the test can check what each process did:
 *   {"event":"ready"}                           the bus is open
 *   {"event":"completed","ids":[…],"counts":[…]} these messages were completed (after commit)
 *   {"event":"holding","ids":[…]}               "hold" mode: locked and never to be settled
 *
 * Modes: "drain" receives and completes batches until its stdin is closed; "hold" receives one
 * batch, completes the first half and then keeps the rest locked forever (the test kills it).
 */
import { createSqliteBus } from "./index";

interface WorkerArgs {
  file: string;
  subscription: string;
  lockMs: number;
  batch: number;
  /** Time "spent" on each batch between receive and complete, as a real consumer would. */
  workMs: number;
  mode: "drain" | "hold";
  /** BusOptions.filters, as every process of a deployment passes them. */
  filters?: Record<string, string[]>;
}

const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArgs;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const bus = createSqliteBus({
  file: args.file,
  subscriptions: [args.subscription],
  lockMs: args.lockMs,
  filters: args.filters,
});
const sub = bus.subscriber(args.subscription);
say({ event: "ready" });

if (args.mode === "drain") {
  let stopping = false;
  process.stdin.on("end", () => {
    stopping = true;
  });
  process.stdin.resume();
  while (!stopping) {
    const batch = await sub.receive(args.batch, { waitMs: 100 });
    if (batch.length === 0) continue;
    await new Promise((resolve) => setTimeout(resolve, args.workMs));
    await sub.complete(batch);
    say({ event: "completed", ids: batch.map((m) => m.id), counts: batch.map((m) => m.deliveryCount) });
  }
  await bus.close();
} else {
  let batch = await sub.receive(args.batch, { waitMs: 10_000 });
  while (batch.length < args.batch) {
    const more = await sub.receive(args.batch - batch.length, { waitMs: 1_000 });
    if (more.length === 0) break;
    batch = [...batch, ...more];
  }
  const half = Math.floor(batch.length / 2);
  await sub.complete(batch.slice(0, half));
  say({
    event: "completed",
    ids: batch.slice(0, half).map((m) => m.id),
    counts: batch.slice(0, half).map((m) => m.deliveryCount),
  });
  say({ event: "holding", ids: batch.slice(half).map((m) => m.id) });
  setInterval(() => {}, 60_000);
}
