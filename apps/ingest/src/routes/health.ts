import type { FastifyInstance } from "fastify";
import type { BatchingPublisher } from "../publishing/batching-publisher";
import { IngestRejection } from "../rejections";

/** `GET /healthz`: the process answers. `GET /readyz`: it can also take messages (bus reachable). */
export function healthRoutes(app: FastifyInstance, deps: { publisher: BatchingPublisher }): void {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (request) => {
    try {
      await deps.publisher.ping();
    } catch (error) {
      request.log.warn({ err: error }, "bus not reachable");
      throw new IngestRejection("UNAVAILABLE", "bus_unavailable", "the message bus is not reachable");
    }
    return { status: "ready" };
  });
}
