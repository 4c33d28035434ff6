// The mapping a golden fixture is checked with: the event item of a captured envelope (or a
// store body) through the core mapping, with ingest's own inputs fixed so the result depends
// on the payload only.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type CanonicalMessage, normalizeSentryEvent, parseSentryEnvelope } from "@faultline/core";

export const FIXTURES_DIR = join(import.meta.dirname, "..", "fixtures", "sentry");
export const GOLDEN_CONTEXT = {
  logId: "00000000-0000-4000-8000-000000000001",
  receivedAt: new Date("2026-01-01T00:00:00.000Z"),
};

/** Every payload fixture: `*.envelope` (an envelope body) and `*.store.json` (a store body). */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith(".envelope") || f.endsWith(".store.json"))
    .sort();
}

export function expectedPathOf(fixture: string): string {
  return join(FIXTURES_DIR, `${fixture.replace(/\.envelope$|\.json$/, "")}.expected.json`);
}

export function mapFixture(
  fixture: string,
  bytes: Buffer = readFileSync(join(FIXTURES_DIR, fixture)),
): CanonicalMessage {
  if (fixture.endsWith(".store.json")) {
    const raw = bytes.toString("utf8");
    return normalizeSentryEvent(JSON.parse(raw), { ...GOLDEN_CONTEXT, format: "sentry-store", raw });
  }
  const envelope = parseSentryEnvelope(bytes);
  const events = envelope.items.filter((i) => i.header.type === "event");
  if (events.length !== 1) throw new Error(`${fixture}: expected one event item, found ${events.length}`);
  const raw = Buffer.from(events[0]!.payload).toString("utf8");
  return normalizeSentryEvent(JSON.parse(raw), {
    ...GOLDEN_CONTEXT,
    format: "sentry-envelope",
    raw,
    fallbackEventId: envelope.header.event_id,
  });
}
