// The JavaScript budget of the trader UI: at most 25 KB gzipped in total, its service worker
// (sw.js) included. Run after `vite build` (npm run build); prints each file and fails above the budget.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const JS_BUDGET_BYTES = 25 * 1024;

export function uiJsSizes(dist = fileURLToPath(new URL("../ui/dist", import.meta.url))) {
	const files = [
		...readdirSync(`${dist}/assets`)
			.filter((f) => f.endsWith(".js"))
			.map((f) => `assets/${f}`),
		"sw.js",
	];
	return files.map((file) => {
		const bytes = readFileSync(`${dist}/${file}`);
		return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
	});
}

if (import.meta.main) {
	const sizes = uiJsSizes();
	const total = sizes.reduce((n, s) => n + s.gzip, 0);
	for (const s of sizes) console.log(`  ${s.file}  ${(s.raw / 1024).toFixed(1)} KB raw, ${(s.gzip / 1024).toFixed(1)} KB gzip`);
	console.log(`UI JavaScript: ${(total / 1024).toFixed(1)} KB gzip in total (budget ${JS_BUDGET_BYTES / 1024} KB)`);
	if (total > JS_BUDGET_BYTES) {
		console.error("over the JavaScript budget");
		process.exit(1);
	}
}
