import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration and end-to-end tests share one Docker Engine and one router: run files one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
    projects: [
      // One Docker Engine: unit, integration and end-to-end tests, as before clusters.
      {
        extends: true,
        test: {
          name: "engine",
          include: ["test/**/*.test.ts"],
          exclude: ["test/cluster/**", "**/node_modules/**"],
          // Projects run side by side unless ordered: the cluster's builds and nested engines would
          // load the CPU under the single-engine suite's timing-sensitive tests (cycling, preboot).
          sequence: { groupOrder: 0 },
        },
      },
      // On a Docker Swarm of three nested engines the global setup starts (and removes after).
      {
        extends: true,
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts"],
          globalSetup: ["test/cluster/global-setup.ts"],
          // A group of its own: never beside the single-engine suite (see above).
          sequence: { groupOrder: 1 },
          testTimeout: 300_000,
        },
      },
    ],
  },
});
