// Plain-Node tests (no Workers runtime): the npm scripts' launcher and the like, and the one
// test that restarts a stack of its own (notices across a restart).
import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		include: ["test/node/**/*.test.ts"],
		environment: "node",
		// The first run on a machine without the cached Node 24 (or Node 20) downloads it.
		testTimeout: 180_000,
	},
});
