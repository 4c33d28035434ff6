import { describe, expect, it } from "vitest";
import { fingerprintV1, stripVariableParts, topFrame } from "./fingerprint";

describe("fingerprint v1", () => {
  it("strips numbers, GUIDs and hex ids from the title", () => {
    expect(
      stripVariableParts(
        "Order 1234 not found for 3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b at 0x7ffe12 (hash deadbeef99)",
      ),
    ).toBe("Order <n> not found for <guid> at <hex> (hash <hex>)");
  });

  it("keeps ordinary words that happen to be hex letters", () => {
    expect(stripVariableParts("Failed to decode cafe menu")).toBe("Failed to decode cafe menu");
  });

  it("groups occurrences that differ only in ids and numbers", () => {
    const a = fingerprintV1({
      type: "KeyNotFound",
      title: "Order 1 missing",
      detail: "   at Shop.Orders.Get(Int32 id) in x.cs:line 10",
    });
    const b = fingerprintV1({
      type: "KeyNotFound",
      title: "Order 977 missing",
      detail: "   at Shop.Orders.Get(Int32 id) in x.cs:line 12",
    });
    expect(a).toBe(b);
  });

  it("separates different exception types, titles and top frames", () => {
    const base = { type: "A", title: "x failed", detail: "   at One.Two()" };
    const f = fingerprintV1(base);
    expect(fingerprintV1({ ...base, type: "B" })).not.toBe(f);
    expect(fingerprintV1({ ...base, title: "y failed" })).not.toBe(f);
    expect(fingerprintV1({ ...base, detail: "   at Three.Four()" })).not.toBe(f);
  });

  it("prefers the last in-app structured frame over the detail text", () => {
    const m = {
      detail: "    at ignored (x.js:1:1)",
      exceptions: [
        {
          type: "TypeError",
          frames: [
            { function: "main", module: "app", inApp: true },
            { function: "handler", module: "app.orders", inApp: true },
            { function: "lib", module: "node_modules/x", inApp: false },
          ],
        },
      ],
    };
    expect(topFrame(m)).toBe("app.orders:handler");
  });

  it("reads the first frame of a V8 stack in the detail", () => {
    expect(
      topFrame({
        detail: "TypeError: x\n    at Orders.load (/app/orders.js:10:5)\n    at main (/app/index.js:1:1)",
      }),
    ).toBe("Orders.load");
  });

  it("strips exactly as the plain five-pass replace does, whichever passes it skips", () => {
    const reference = (title: string) =>
      title
        .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<guid>")
        .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
        .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, "<hex>")
        .replace(/\d+(?:[.,]\d+)*/g, "<n>")
        .replace(/\s+/g, " ")
        .trim();
    const parts = [
      "Order",
      "12",
      "3.5",
      "1,000",
      "-",
      "3F1D2C4B-5A6E-4F70-8A9B-0C1D2E3F4A5B",
      "0x7FFE",
      "0xg",
      "deadbeef",
      "deadbeef9",
      "cafe-babe",
      " ",
      "  ",
      "\t",
      "\n",
      "\u00a0",
      "é",
      "",
    ];
    // Every title of up to three parts: all combinations of the features each pass looks for.
    for (const a of parts) {
      for (const b of parts) {
        for (const c of parts) {
          const title = `${a}${b} ${c}${a}`;
          expect(stripVariableParts(title), JSON.stringify(title)).toBe(reference(title));
        }
      }
    }
  });
});
