import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
    // Hashing passwords with scrypt for a handful of users takes a few seconds on a busy machine.
    testTimeout: 30_000,
  },
});
