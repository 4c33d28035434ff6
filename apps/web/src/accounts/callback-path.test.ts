import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "./callback-path";

describe("safeCallbackPath", () => {
  it("follows a path on this site, query included", () => {
    expect(safeCallbackPath("/logs/abc?q=timeout&severity=Error")).toBe("/logs/abc?q=timeout&severity=Error");
  });

  it("keeps only the path of an absolute URL", () => {
    expect(safeCallbackPath("http://localhost:3000/orgs/1")).toBe("/orgs/1");
  });

  it.each([
    null,
    "",
    "//evil.example/x",
    "/\\evil.example",
    "javascript:alert(1)",
    "/sign-in",
    "/sign-up?x=1",
  ])("goes home for %j", (value) => {
    expect(safeCallbackPath(value)).toBe("/");
  });
});
