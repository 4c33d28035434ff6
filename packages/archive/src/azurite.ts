import { createRequire } from "node:module";

/**
 * Azurite's well-known development account. The key is public (Microsoft documents it for the
 * storage emulators) and Azurite accepts nothing else unless told otherwise.
 */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** Memory Azurite may use for blob contents before it refuses writes. */
const MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;

export interface RunningAzurite {
  /** A connection string for the development account on this server's port. */
  connectionString: string;
  /** Stops the server and frees what it held. */
  stop(): Promise<void>;
}

/**
 * Starts Azurite's blob service inside this process, for tests and measurements: on 127.0.0.1 and
 * a port the system picks, with blobs and metadata in memory only (nothing on disk to clean up,
 * nothing shared with another run), without access or debug logs, and with telemetry off.
 * Azurite's strict mode stays on (no `loose`, no `skipApiVersionCheck`): @azure/storage-blob
 * 12.33 sends an API version Azurite 3.37 accepts, and a mismatch should fail loudly.
 */
export async function startAzurite(): Promise<RunningAzurite> {
  // Azurite is CommonJS and its package entry starts the command-line tool, so its classes are
  // loaded from their compiled files. require gives the same module shape under Node, tsx and
  // vitest, where import() of CommonJS differs in how `default` is wrapped.
  const require = createRequire(import.meta.url);
  const { AzuriteTelemetryClient } =
    require("azurite/dist/src/common/Telemetry.js") as typeof import("azurite/dist/src/common/Telemetry.js");
  const { default: BlobConfiguration } =
    require("azurite/dist/src/blob/BlobConfiguration.js") as typeof import("azurite/dist/src/blob/BlobConfiguration.js");
  const { default: BlobServer } =
    require("azurite/dist/src/blob/BlobServer.js") as typeof import("azurite/dist/src/blob/BlobServer.js");
  const { MemoryExtentChunkStore } =
    require("azurite/dist/src/common/persistence/MemoryExtentStore.js") as typeof import("azurite/dist/src/common/persistence/MemoryExtentStore.js");

  // Only Azurite's command-line entry starts telemetry; this states "off" explicitly, and every
  // request's telemetry hook checks this flag first.
  AzuriteTelemetryClient.init("", false, undefined);

  const configuration = new BlobConfiguration(
    "127.0.0.1",
    0,
    undefined, // keep-alive timeout: Azurite's default
    "faultline-azurite-blob.json", // metadata database name; kept in memory, never written
    "faultline-azurite-extent.json",
    [], // no folders: blob contents go to the memory store below
    false, // access log
    undefined,
    false, // debug log
    undefined,
    false, // loose
    false, // skipApiVersionCheck
    "",
    "",
    "",
    undefined,
    false,
    true, // in-memory persistence
    // A store of its own rather than Azurite's process-wide one, so stopping frees the memory
    // and two servers in one process never see each other's blobs.
    new MemoryExtentChunkStore(MEMORY_LIMIT_BYTES),
  );
  const server = new BlobServer(configuration);
  await server.start();
  const port = new URL(server.getHttpServerAddress()).port;
  return {
    connectionString: [
      "DefaultEndpointsProtocol=http",
      `AccountName=${AZURITE_ACCOUNT}`,
      `AccountKey=${AZURITE_ACCOUNT_KEY}`,
      `BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    ].join(";"),
    async stop() {
      await server.close();
      await server.clean();
    },
  };
}
