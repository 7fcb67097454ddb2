// The JavaScript budgets: the trader UI at most 25 KB gzipped in total, its service worker
// (sw.js) included; the ops console (its own entry, ui/ops, built into dist/ops-assets) at most
// 30 KB. Run after both `vite build`s (npm run build); prints each file and fails above a budget.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const JS_BUDGET_BYTES = 25 * 1024;
export const OPS_JS_BUDGET_BYTES = 30 * 1024;

const DIST = fileURLToPath(new URL("../ui/dist", import.meta.url));

const sizesOf = (dist: string, files: string[]) =>
	files.map((file) => {
		const bytes = readFileSync(`${dist}/${file}`);
		return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
	});

const scriptsIn = (dist: string, dir: string) =>
	readdirSync(`${dist}/${dir}`)
		.filter((f) => f.endsWith(".js"))
		.map((f) => `${dir}/${f}`);

export function uiJsSizes(dist = DIST) {
	return sizesOf(dist, [...scriptsIn(dist, "assets"), "sw.js"]);
}

export function opsJsSizes(dist = DIST) {
	return sizesOf(dist, scriptsIn(dist, "ops-assets"));
}

if (import.meta.main) {
	let over = false;
	for (const [name, sizes, budget] of [
		["UI", uiJsSizes(), JS_BUDGET_BYTES],
		["Ops console", opsJsSizes(), OPS_JS_BUDGET_BYTES],
	] as const) {
		const total = sizes.reduce((n, s) => n + s.gzip, 0);
		for (const s of sizes) console.log(`  ${s.file}  ${(s.raw / 1024).toFixed(1)} KB raw, ${(s.gzip / 1024).toFixed(1)} KB gzip`);
		console.log(`${name} JavaScript: ${(total / 1024).toFixed(1)} KB gzip in total (budget ${budget / 1024} KB)`);
		if (total > budget) {
			console.error(`${name}: over the JavaScript budget`);
			over = true;
		}
	}
	if (over) process.exit(1);
}
