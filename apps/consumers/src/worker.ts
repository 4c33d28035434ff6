import { type BusSubscriber, LockLostError, type ReceivedMessage } from "@faultline/bus";
import type { Logger } from "./logger";
import { type Pipeline, WorkerBatch } from "./pipeline";

export interface WorkerOptions {
  subscriber: BusSubscriber;
  /** The steps every batch runs through, in order. */
  pipeline: Pipeline;
  /** Most messages received and handled at once. */
  batchSize: number;
  logger: Logger;
  /** Aborting stops the loop after the batch in hand is settled. */
  signal: AbortSignal;
  /** How long one receive waits for messages; also the longest a stop waits for an idle receive. */
  waitMs?: number;
  /**
   * How often the locks of a batch still running are renewed. Must be well below the bus's
   * lock duration (a third of it is a good choice), or a slow batch is handed to another worker.
   */
  renewLocksEveryMs?: number;
  /** First pause after a failure; doubles per consecutive failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called after every batch is settled; lets tests and metrics follow progress. */
  onBatch?: (stats: BatchStats) => void;
}

export interface BatchStats {
  received: number;
  completed: number;
  deadLettered: number;
  abandoned: number;
}

export interface WorkerTotals extends BatchStats {
  batches: number;
}

/**
 * The consumer loop: receive a batch → run the pipeline → complete. Delivery is at-least-once,
 * so every step must be idempotent by message id.
 *
 * - A message the pipeline rejects (it cannot be decoded) is dead-lettered at once, with the
 *   reason; the rest of its batch carries on.
 * - If a step throws, the batch is retried message by message, so one message the store
 *   refuses cannot drag the other messages of its batch to the dead-letter queue with it; the
 *   messages that fail on their own are abandoned, and the bus redelivers them until
 *   maxDeliveries, then dead-letters them. After a failure the loop pauses (exponential backoff),
 *   so a store that is down is not hammered.
 * - Locks are renewed while a batch runs long. A worker killed mid-batch loses nothing: its
 *   locks expire and the bus delivers the messages again.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerTotals> {
  const { subscriber, pipeline, batchSize, logger, signal } = options;
  const waitMs = options.waitMs ?? 1000;
  const backoffMs = options.backoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const totals: WorkerTotals = { batches: 0, received: 0, completed: 0, deadLettered: 0, abandoned: 0 };
  let failures = 0;

  while (!signal.aborted) {
    let received: ReceivedMessage[];
    try {
      received = await subscriber.receive(batchSize, { waitMs });
    } catch (error) {
      failures++;
      logger.error("receiving from the bus failed", { error, subscription: subscriber.subscription });
      await sleep(Math.min(backoffMs * 2 ** (failures - 1), maxBackoffMs), signal);
      continue;
    }
    if (received.length === 0) continue;

    const run: BatchRun = { subscriber, logger, unsettled: new Set(received) };
    const renewal = renewLocksWhileRunning(run, options.renewLocksEveryMs);
    let stats: BatchStats;
    try {
      stats = await handleBatch(run, pipeline, received);
    } finally {
      await renewal.stop();
    }
    totals.batches++;
    totals.received += stats.received;
    totals.completed += stats.completed;
    totals.deadLettered += stats.deadLettered;
    totals.abandoned += stats.abandoned;
    options.onBatch?.(stats);

    if (stats.abandoned > 0) {
      failures++;
      await sleep(Math.min(backoffMs * 2 ** (failures - 1), maxBackoffMs), signal);
    } else {
      failures = 0;
    }
  }
  return totals;
}

/** One batch's settling context: what is still locked by us, for lock renewal. */
interface BatchRun {
  subscriber: BusSubscriber;
  logger: Logger;
  unsettled: Set<ReceivedMessage>;
}

async function handleBatch(
  run: BatchRun,
  pipeline: Pipeline,
  received: ReceivedMessage[],
): Promise<BatchStats> {
  const { logger } = run;
  const stats: BatchStats = { received: received.length, completed: 0, deadLettered: 0, abandoned: 0 };
  const batch = new WorkerBatch(received);
  const failure = await runPipeline(pipeline, batch);

  // Rejected messages are dead-lettered whether or not the rest succeeded: retrying cannot help.
  stats.deadLettered += await deadLetterRejected(run, batch);
  const rest = received.filter((m) => !batch.rejected.has(m));
  if (!failure) {
    stats.completed += await settle(run, "complete", rest);
    return stats;
  }

  logger.error("batch failed; retrying its messages one by one", {
    step: failure.step,
    error: failure.error,
    messages: describe(rest),
  });
  if (rest.length === 1) {
    stats.abandoned += await abandon(run, rest, failure);
    return stats;
  }
  // When the store is down every message fails again; they are abandoned together, with one
  // log line, rather than one line each.
  const failed: ReceivedMessage[] = [];
  let firstFailure: StepFailure | null = null;
  for (const message of rest) {
    const single = new WorkerBatch([message]);
    const singleFailure = await runPipeline(pipeline, single);
    stats.deadLettered += await deadLetterRejected(run, single);
    if (single.rejected.has(message)) continue;
    if (singleFailure) {
      failed.push(message);
      firstFailure ??= singleFailure;
    } else {
      stats.completed += await settle(run, "complete", [message]);
    }
  }
  if (firstFailure) stats.abandoned += await abandon(run, failed, firstFailure);
  return stats;
}

interface StepFailure {
  step: string;
  error: unknown;
}

async function runPipeline(pipeline: Pipeline, batch: WorkerBatch): Promise<StepFailure | null> {
  for (const step of pipeline) {
    try {
      await step.run(batch);
    } catch (error) {
      return { step: step.name, error };
    }
  }
  return null;
}

async function deadLetterRejected(run: BatchRun, batch: WorkerBatch): Promise<number> {
  if (batch.rejected.size === 0) return 0;
  const { logger } = run;
  const byReason = new Map<string, ReceivedMessage[]>();
  for (const [message, reason] of batch.rejected) {
    logger.warn("dead-lettering a message that cannot be handled", {
      id: message.id,
      deliveryCount: message.deliveryCount,
      reason,
    });
    const group = byReason.get(reason);
    if (group) group.push(message);
    else byReason.set(reason, [message]);
  }
  let count = 0;
  for (const [reason, messages] of byReason) {
    count += await settle(run, "deadLetter", messages, reason);
  }
  return count;
}

async function abandon(run: BatchRun, messages: ReceivedMessage[], failure: StepFailure): Promise<number> {
  run.logger.error("abandoning messages for redelivery", {
    step: failure.step,
    error: failure.error,
    messages: describe(messages),
  });
  const reason = `${failure.step}: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}`;
  return settle(run, "abandon", messages, reason);
}

/**
 * Settles messages and returns how many were settled. A lost lock is not a failure: the bus has
 * handed the messages to someone else (or will), and every step is idempotent.
 */
async function settle(
  run: BatchRun,
  how: "complete" | "abandon" | "deadLetter",
  messages: ReceivedMessage[],
  reason = "",
): Promise<number> {
  if (messages.length === 0) return 0;
  const { subscriber, logger } = run;
  // Settled or not, these are out of our hands now: stop renewing their locks.
  for (const m of messages) run.unsettled.delete(m);
  try {
    if (how === "complete") await subscriber.complete(messages);
    else if (how === "abandon") await subscriber.abandon(messages, reason);
    else await subscriber.deadLetter(messages, reason);
    return messages.length;
  } catch (error) {
    const lost = error instanceof LockLostError;
    logger[lost ? "warn" : "error"](
      lost ? `lock lost before ${how}; the bus will deliver the messages again` : `${how} failed`,
      { error, messages: describe(messages) },
    );
    return 0;
  }
}

function describe(messages: readonly ReceivedMessage[]): { id: string; deliveryCount: number }[] {
  return messages.map((m) => ({ id: m.id, deliveryCount: m.deliveryCount }));
}

function renewLocksWhileRunning(run: BatchRun, everyMs: number | undefined): { stop(): Promise<void> } {
  if (!everyMs) return { stop: async () => {} };
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      const messages = [...run.unsettled];
      if (messages.length === 0) return;
      try {
        await run.subscriber.renewLocks(messages);
      } catch (error) {
        // Not fatal: if the lock is really gone, settling reports it and the bus redelivers.
        run.logger.warn("renewing locks failed", { error, messages: messages.length });
      }
    });
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await renewing;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
