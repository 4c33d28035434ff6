import { readFileSync } from "node:fs";
import { canonicalMessageSchema } from "@faultline/core";
import { describe, expect, it } from "vitest";
import { expectedPathOf, fixtureNames, mapFixture } from "./golden";

// Payloads captured from the real SDKs (tests/sdks/capture-fixtures.ts regenerates them), each
// mapped and compared with the canonical message reviewed and stored beside it. ingest's own
// inputs (log id, receive time) are fixed in mapFixture, so nothing volatile remains.
const names = fixtureNames();

describe("golden Sentry fixtures", () => {
  it("there is a fixture for each real SDK", () => {
    for (const sdk of ["node", "python", "browser"]) {
      expect(
        names.some((n) => n.startsWith(`${sdk}-exception`)),
        sdk,
      ).toBe(true);
    }
  });

  for (const name of names) {
    it(`${name} maps to its expected canonical message`, () => {
      const actual = mapFixture(name);
      const expected = JSON.parse(readFileSync(expectedPathOf(name), "utf8"));
      expect(canonicalMessageSchema.parse(actual)).toEqual(actual);
      expect(actual).toEqual(expected);
    });
  }

  it("exception fixtures carry frames, in-app frames marked, and a stack trace text", () => {
    for (const name of names.filter((n) => n.includes("-exception"))) {
      const m = mapFixture(name);
      const frames = m.exceptions?.flatMap((e) => e.frames) ?? [];
      expect(frames.length, name).toBeGreaterThan(0);
      expect(
        frames.some((f) => f.inApp === true),
        name,
      ).toBe(true);
      expect(m.detail, name).toMatch(new RegExp(`^${m.type}: `));
      expect(m.title, name).toBe(`${m.exceptions![0]!.type}: ${m.exceptions![0]!.value}`);
    }
  });
});
