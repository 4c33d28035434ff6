import type { ReceivedMessage } from "@faultline/bus";
import { type CanonicalMessage, decodeMessage, MESSAGE_TYPE } from "@faultline/core";

/**
 * One batch on its way through a pipeline. Steps read and fill it in order: `decode` turns the
 * received bodies into canonical messages, later steps store them.
 */
export class WorkerBatch {
  /** The canonical messages decoded so far (filled by `decode`). */
  messages: CanonicalMessage[] = [];
  readonly #rejected = new Map<ReceivedMessage, string>();

  constructor(readonly received: readonly ReceivedMessage[]) {}

  /**
   * Marks a message as one no retry can fix (it cannot be decoded): the worker dead-letters it
   * with the reason and still completes the rest of the batch.
   */
  reject(message: ReceivedMessage, reason: string): void {
    this.#rejected.set(message, reason);
  }

  get rejected(): ReadonlyMap<ReceivedMessage, string> {
    return this.#rejected;
  }
}

/** A named stage; the name appears in failure logs. */
export interface PipelineStep {
  readonly name: string;
  /** Throwing fails the batch: the worker abandons it for redelivery (see runWorker). */
  run(batch: WorkerBatch): Promise<void> | void;
}

export type Pipeline = readonly PipelineStep[];

/**
 * Bodies that are not a valid canonical message will never become valid, so they are rejected
 * (dead-lettered) at once rather than retried maxDeliveries times.
 */
export const decode: PipelineStep = {
  name: "decode",
  run(batch) {
    for (const received of batch.received) {
      if (received.type !== MESSAGE_TYPE) {
        batch.reject(received, `unknown message type "${received.type}" (expected "${MESSAGE_TYPE}")`);
        continue;
      }
      try {
        batch.messages.push(decodeMessage(received.body));
      } catch (error) {
        batch.reject(received, `cannot decode the body: ${describeDecodeError(error)}`);
      }
    }
  },
};

function describeDecodeError(error: unknown): string {
  if (error && typeof error === "object" && "issues" in error && Array.isArray(error.issues)) {
    // zod: name the failing fields, not the whole pretty-printed report
    return error.issues
      .slice(0, 5)
      .map(
        (i: { path?: unknown[]; message?: string }) => `${(i.path ?? []).join(".") || "body"}: ${i.message}`,
      )
      .join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}
