// Browser tests: Node (not the Workers pool) drives Debian's Chromium with playwright-core
// against the real local stack (scripts/stack.ts), started once by test/browser/stack-setup.ts.
import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		include: ["test/browser/**/*.test.ts"],
		environment: "node",
		globalSetup: ["./test/browser/stack-setup.ts"],
		// One stack, one failover switch: the files take turns.
		fileParallelism: false,
		testTimeout: 90_000,
		hookTimeout: 240_000,
	},
});
