import { defineConfig } from "vitest/config";

// Whole-system tests start every process of the product; they run one file at a time so two
// systems never compete for the machine's two cores.
export default defineConfig({
  test: {
    include: ["system/**/*.test.ts", "browser/**/*.test.ts", "contracts/**/*.test.ts", "sdks/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 240_000,
  },
});
