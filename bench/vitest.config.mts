import { defineConfig } from "vitest/config";

// Measurements that take minutes and talk to Docker: run by bench/run.sh, never by `npm test`.
export default defineConfig({
  test: {
    include: ["bench/**/*.measure.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
