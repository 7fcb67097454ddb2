// `npm run bench:relay`: the benches in bench/workers run in the Workers runtime on the same
// local stack as the tests (real queue, embedded Postgres, OMS simulator) and print numbers.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import base from "../vitest.config.ts";

export default defineConfig({
	...base,
	root: fileURLToPath(new URL("..", import.meta.url)),
	test: { ...base.test, include: ["bench/workers/**/*.bench.ts"], exclude: [], testTimeout: 600_000 },
});
