import { hash } from "node:crypto";
import type { CanonicalMessage } from "./message";

const GUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const HEX_PREFIXED = /\b0x[0-9a-f]+\b/gi;
// A run of 8+ hex characters with at least one digit: object ids, hashes, trace ids.
const HEX_ID = /\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi;
const NUMBER = /\d+(?:[.,]\d+)*/g;
const HAS_DIGIT = /\d/;
const HAS_0X = /0x/i;
// Whitespace other than a single space: what /\s+/ → " " would change.
const NEEDS_COLLAPSE = /[^\S ]| {2}/;

/** Title with the parts that vary between occurrences of one error replaced by placeholders. */
export function stripVariableParts(title: string): string {
  // Each replace is skipped when the string cannot match it (no '-' for a GUID, no "0x", no
  // digit, no whitespace but single spaces), which leaves it unchanged anyway: most titles
  // need two of the five passes, and each pass is a scan and a new string.
  let s = title;
  if (s.includes("-")) s = s.replace(GUID, "<guid>");
  if (HAS_DIGIT.test(s)) {
    if (HAS_0X.test(s)) s = s.replace(HEX_PREFIXED, "<hex>");
    s = s.replace(HEX_ID, "<hex>").replace(NUMBER, "<n>");
  }
  if (NEEDS_COLLAPSE.test(s)) s = s.replace(/\s+/g, " ");
  return s.trim();
}

// "   at Namespace.Type.Method(String a) in C:\x.cs:line 42" (.NET) or "    at fn (file.js:1:2)" (V8)
const STACK_LINE = /^\s*at\s+([^\s(]+)/m;

/**
 * The frame the error was thrown from: the last structured frame (in-app ones preferred), else
 * the first "at …" line of the detail text. Line numbers are left out so that a deploy that
 * moves code does not split a group.
 */
export function topFrame(m: Pick<CanonicalMessage, "exceptions" | "detail">): string | undefined {
  const frames = m.exceptions?.at(-1)?.frames ?? m.exceptions?.[0]?.frames;
  if (frames && frames.length > 0) {
    const inApp = frames.filter((f) => f.inApp);
    const f = (inApp.length > 0 ? inApp : frames).at(-1)!;
    return [f.module ?? f.filename ?? "", f.function ?? ""].join(":");
  }
  const match = m.detail ? STACK_LINE.exec(m.detail) : null;
  return match?.[1];
}

/**
 * Fingerprint v1: messages with the same exception type, the same title once numbers, GUIDs and
 * hex ids are stripped, and the same top stack frame belong to one group.
 */
export function fingerprintV1(m: Pick<CanonicalMessage, "type" | "title" | "exceptions" | "detail">): string {
  const parts = ["v1", m.type ?? "", stripVariableParts(m.title), topFrame(m) ?? ""];
  // The one-shot hash: a Hash object per message showed on ingest's hot path.
  return hash("sha256", parts.join("\n"), "hex").slice(0, 32);
}
