import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration and end-to-end tests share one Docker Engine and one router: run files one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
  },
});
