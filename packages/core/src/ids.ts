import { randomFillSync } from "node:crypto";

let lastMs = 0;
let seq = 0;

// One call into the kernel's random source per 256 ids instead of two per id: on ingest's hot
// path the per-call cost of randomBytes showed as ~5% of busy time.
const POOL_BYTES = 16 * 256;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomBytesFromPool(n: number): Buffer {
  if (poolOffset + n > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a counter-seeded random tail, so ids
 * made by one process sort by creation time. Used as the message id when the SDK sends none.
 */
export function newMessageId(now: number = Date.now()): string {
  if (now === lastMs) {
    seq = (seq + 1) & 0xfff;
  } else {
    lastMs = now;
    seq = randomBytesFromPool(2).readUInt16BE(0) & 0x7ff;
  }
  const b = randomBytesFromPool(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
