// `npm test`: the Workers-runtime suite (vitest + @cloudflare/vitest-plugin), then the
// browser suite (playwright-core + Debian's Chromium, skipped when Chromium is missing), then
// the plain-Node suite (test/node), then a plain closing line "N passed, N failed" that any CI can read.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CHROMIUM_PATH, hasChromium } from "../test/browser/chromium.ts";

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
			"--passWithNoTests",
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
const suites: [string, string[]][] = [
	["workers", []],
	["browser", ["--config", "vitest.browser.config.ts"]],
	["node", ["--config", "vitest.node.config.ts"]],
];
for (const [name, args] of suites) {
	const r = runSuite(name, [...args]);
	if (!r) {
		broken = true;
		continue;
	}
	totals.passed += r.numPassedTests;
	totals.failed += r.numFailedTests;
	totals.skipped += r.numPendingTests + r.numTodoTests;
}
if (!hasChromium) console.log(`\nbrowser tests skipped: chromium not found at ${CHROMIUM_PATH} (apt-get install chromium)`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(broken || totals.failed > 0 ? 1 : 0);
