// `npm test`: the Workers-runtime suite (vitest + @cloudflare/vitest-plugin), then a plain
// closing line "N passed, N failed" that any CI can read.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(`${root}/.data`, { recursive: true });

interface VitestJson {
	numPassedTests: number;
	numFailedTests: number;
	numPendingTests: number;
	numTodoTests: number;
}

function runSuite(name: string, args: string[]): VitestJson | null {
	const out = `${root}/.data/vitest-${name}.json`;
	const res = spawnSync(
		process.execPath,
		[
			`${root}/node_modules/vitest/vitest.mjs`,
			"run",
			...args,
			"--reporter=default",
			"--reporter=json",
			`--outputFile.json=${out}`,
			...process.argv.slice(2),
		],
		{
			cwd: root,
			stdio: "inherit",
		},
	);
	if (!existsSync(out)) {
		console.error(`${name} suite produced no results (exit ${res.status})`);
		return null;
	}
	return JSON.parse(readFileSync(out, "utf8")) as VitestJson;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let broken = false;
for (const [name, args] of [["workers", []]] as const) {
	const r = runSuite(name, [...args]);
	if (!r) {
		broken = true;
		continue;
	}
	totals.passed += r.numPassedTests;
	totals.failed += r.numFailedTests;
	totals.skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(broken || totals.failed > 0 ? 1 : 0);
