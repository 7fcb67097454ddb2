// bench/results.json: the figures tools outside the project read (../shared/spec "Benchmark
// results"). Each scenario writes its own blocks; blocks another run wrote stay as they were.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const file = fileURLToPath(new URL("./results.json", import.meta.url));

export function writeResults(blocks: Record<string, unknown>): void {
	const old = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
	writeFileSync(file, `${JSON.stringify({ ...old, ...blocks }, null, 2)}\n`);
	console.log(`wrote ${Object.keys(blocks).join(", ")} to bench/results.json`);
}
