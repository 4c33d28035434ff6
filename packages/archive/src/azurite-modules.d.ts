// Types for the parts of Azurite (3.37) that src/azurite.ts loads. Azurite ships no type
// declarations and its package entry cannot be loaded as a library, so the blob server is reached
// through its compiled files; these declarations cover only what is used.

declare module "azurite/dist/src/blob/BlobConfiguration.js" {
  import type { MemoryExtentChunkStore } from "azurite/dist/src/common/persistence/MemoryExtentStore.js";

  export default class BlobConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      extentDBPath?: string,
      persistencePathArray?: { locationId: string; locationPath: string; maxConcurrency: number }[],
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      enableDebugLog?: boolean,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
      memoryStore?: MemoryExtentChunkStore,
    );
  }
}

declare module "azurite/dist/src/blob/BlobServer.js" {
  import type BlobConfiguration from "azurite/dist/src/blob/BlobConfiguration.js";

  export default class BlobServer {
    constructor(configuration?: BlobConfiguration);
    start(): Promise<void>;
    close(): Promise<void>;
    /** Removes what the server persisted; only once closed. */
    clean(): Promise<void>;
    /** "http://host:port" as actually bound (the real port when 0 was asked for). */
    getHttpServerAddress(): string;
  }
}

declare module "azurite/dist/src/common/persistence/MemoryExtentStore.js" {
  export class MemoryExtentChunkStore {
    constructor(sizeLimit?: number);
  }
}

declare module "azurite/dist/src/common/Telemetry.js" {
  // A class with static members only; declared as the object it is used as.
  export const AzuriteTelemetryClient: {
    init(location: string, enableTelemetry: boolean, env: unknown, isVSC?: boolean): void;
  };
}
