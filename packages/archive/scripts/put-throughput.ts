/**
 * A quick measurement, not a test: put throughput of ~100 KB gzipped NDJSON batches into the
 * folder store and into Azurite (in this process), one put at a time and several in flight.
 *
 *   npx tsx packages/archive/scripts/put-throughput.ts [batches]
 *
 * Azurite here shares this process and its CPU with the client and keeps blobs in memory, so its
 * figures say what the adapter and SDK cost, not what Azure Blob Storage would do; the folder
 * store fsyncs every put.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createAzureBlobArchive } from "../src/azure-blob";
import { startAzurite } from "../src/azurite";
import { createFolderArchive } from "../src/folder";
import type { ArchiveStore } from "../src/types";

const batches = Number(process.argv[2] ?? 200);
const TARGET_BYTES = 100 * 1024;

/** Gzipped NDJSON of error-like messages, grown until it is about TARGET_BYTES compressed. */
function batch(): Uint8Array {
  const lines: string[] = [];
  let gz = gzipSync("");
  while (gz.byteLength < TARGET_BYTES) {
    for (let i = 0; i < 100; i++) {
      lines.push(
        `${JSON.stringify({
          id: randomUUID(),
          logId: "bench",
          receivedAt: new Date().toISOString(),
          title: `Request failed ${randomBytes(6).toString("hex")}`,
          severity: "Error",
          detail: `System.InvalidOperationException: ${randomBytes(40).toString("base64")}\n   at Service.Handle()`,
        })}\n`,
      );
    }
    gz = gzipSync(lines.join(""));
  }
  return gz;
}

async function measure(store: ArchiveStore, data: Uint8Array[], inFlight: number): Promise<string> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < data.length) {
        const i = next++;
        await store.put(`bench/${inFlight}/${String(i).padStart(6, "0")}.ndjson.gz`, data[i]!);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const bytes = data.reduce((sum, d) => sum + d.byteLength, 0);
  return `${(data.length / seconds).toFixed(0).padStart(5)} puts/s  ${(bytes / seconds / 1024 / 1024).toFixed(1).padStart(6)} MiB/s  ${((seconds * 1000) / data.length).toFixed(2).padStart(6)} ms/put`;
}

const data = Array.from({ length: batches }, batch);
const average = data.reduce((sum, d) => sum + d.byteLength, 0) / data.length;
console.log(`${batches} batches of ${(average / 1024).toFixed(1)} KiB gzip each`);

const dir = mkdtempSync(join(tmpdir(), "faultline-put-throughput-"));
const azurite = await startAzurite();
try {
  const folder = createFolderArchive({ dir });
  const azure = await createAzureBlobArchive({
    connectionString: azurite.connectionString,
    container: "bench",
  });
  // One unmeasured round each, so connection set-up and JIT warm-up do not count.
  await measure(folder, data.slice(0, 20), 1);
  await measure(azure, data.slice(0, 20), 1);
  for (const inFlight of [1, 8]) {
    console.log(`folder            ${inFlight} in flight: ${await measure(folder, data, inFlight)}`);
    console.log(`azure (Azurite)   ${inFlight} in flight: ${await measure(azure, data, inFlight)}`);
  }
  await folder.close();
  await azure.close();
} finally {
  await azurite.stop();
  rmSync(dir, { recursive: true, force: true });
}
