import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./passwords";

describe("password hashing", () => {
  it("verifies the right password and rejects a wrong one", async () => {
    const hash = await hashPassword("s3cret password");
    expect(await verifyPassword("s3cret password", hash)).toBe(true);
    expect(await verifyPassword("s3cret passworD", hash)).toBe(false);
  });

  it("records its parameters in the hash, so a hash with other parameters still verifies", async () => {
    const hash = await hashPassword("pw-with-params");
    const [scheme, n, r, p] = hash.split("$");
    expect([scheme, n, r, p]).toEqual(["scrypt", "32768", "8", "1"]);
    // A cheaper hash as an older release might have stored it, made with the same format.
    const { scryptSync } = await import("node:crypto");
    const salt = Buffer.from("0123456789abcdef");
    const key = scryptSync("old password", salt, 16, { N: 1024, r: 8, p: 1 });
    const old = ["scrypt", 1024, 8, 1, salt.toString("base64"), key.toString("base64")].join("$");
    expect(await verifyPassword("old password", old)).toBe(true);
    expect(await verifyPassword("new password", old)).toBe(false);
  });

  it("treats a malformed stored hash as a mismatch rather than throwing", async () => {
    for (const stored of [
      "",
      "plain",
      "bcrypt$1$2$3$4$5",
      "scrypt$x$8$1$c2FsdA==$aGFzaA==",
      "scrypt$1024$8$1$c2FsdA==$",
    ]) {
      expect(await verifyPassword("whatever", stored)).toBe(false);
    }
  });
});
