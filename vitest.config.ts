import { defineConfig } from "vitest/config";

// Unit tests sit beside the code; anything that starts swtpm or a server lives in test/.
// swtpm instances are per test file, so files may run in parallel (two cores here).
export default defineConfig({
  test: {
    include: [
      "shared/**/*.test.ts",
      "factory/**/*.test.ts",
      "edge-agent/**/*.test.ts",
      "cloud/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One run directory for all workers, and a teardown that kills any swtpm left behind.
    globalSetup: ["test/harness/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
  },
});
