import type { ReceivedMessage } from "@faultline/bus";
import {
  BURST_COUNTS_TYPE,
  type BurstCountsReport,
  type CanonicalMessage,
  decodeBurstCounts,
  decodeMessage,
  MESSAGE_TYPE,
} from "@faultline/core";

/**
 * One batch on its way through a pipeline. Steps read and fill it in order: the decode step
 * turns the received bodies of the types the pipeline handles into values, later steps store them.
 */
export class WorkerBatch {
  /** The canonical messages (MESSAGE_TYPE) decoded so far. */
  messages: CanonicalMessage[] = [];
  /** The burst-counts reports (BURST_COUNTS_TYPE) decoded so far. */
  burstReports: BurstCountsReport[] = [];
  /** Received messages of types this pipeline does not handle: completed unread. */
  ignored: ReceivedMessage[] = [];
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

/** The bus message types a worker can handle, and where the decode step puts each. */
const DECODERS = {
  [MESSAGE_TYPE]: (batch: WorkerBatch, body: Uint8Array) => void batch.messages.push(decodeMessage(body)),
  [BURST_COUNTS_TYPE]: (batch: WorkerBatch, body: Uint8Array) =>
    void batch.burstReports.push(decodeBurstCounts(body)),
};
export type HandledType = keyof typeof DECODERS;

/**
 * The first step of every pipeline: decodes the message types the pipeline declares it handles.
 *
 * Every subscription gets every message on the topic, whatever its type (canonical messages,
 * ingest's burst-counts reports, types a newer ingest may add), so a type the pipeline does not
 * handle is not an error: it is completed unread. A body of a handled type that does not decode
 * will never become valid, so it is rejected (dead-lettered) at once rather than retried
 * maxDeliveries times.
 */
export function decodeTypes(types: readonly HandledType[]): PipelineStep {
  const handled = new Set<string>(types);
  return {
    name: "decode",
    run(batch) {
      for (const received of batch.received) {
        if (!handled.has(received.type)) {
          batch.ignored.push(received);
          continue;
        }
        try {
          DECODERS[received.type as HandledType](batch, received.body);
        } catch (error) {
          batch.reject(received, `cannot decode the body: ${describeDecodeError(error)}`);
        }
      }
    },
  };
}

/** The decode step of the workers that handle canonical messages (indexer, archiver). */
export const decode: PipelineStep = decodeTypes([MESSAGE_TYPE]);

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
