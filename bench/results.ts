// What the bench keeps between runs: bench/results.json, the figures tools outside the project
// read (../shared/spec "Benchmark results"), and BENCHMARKS.md's marked sections. Each scenario
// writes its own blocks and section; those another run wrote stay as they were.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const file = fileURLToPath(new URL("./results.json", import.meta.url));
export const BENCHMARKS_FILE = fileURLToPath(new URL("../BENCHMARKS.md", import.meta.url));

export function writeResults(blocks: Record<string, unknown>): void {
	const old = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
	writeFileSync(file, `${JSON.stringify({ ...old, ...blocks }, null, "\t")}\n`);
	console.log(`wrote ${Object.keys(blocks).join(", ")} to bench/results.json`);
}

const start = (name: string) => `<!-- bench:${name} -->`;
const end = (name: string) => `<!-- /bench:${name} -->`;
const sectionPattern = /<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->\n?/g;

/** The marked sections of BENCHMARKS.md as they stand (what a rewrite of the rest keeps). */
export function keptSections(): string {
	if (!existsSync(BENCHMARKS_FILE)) return "";
	return [...readFileSync(BENCHMARKS_FILE, "utf8").matchAll(sectionPattern)].map((m) => m[0]).join("\n");
}

/** Writes BENCHMARKS.md's section `name` in place, or at the end if it has none yet. */
export function writeSection(name: string, markdown: string): void {
	const section = `${start(name)}\n${markdown.trim()}\n${end(name)}\n`;
	const current = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, "utf8") : "# Benchmarks\n";
	const existing = [...current.matchAll(sectionPattern)].find((m) => m[1] === name);
	const next = existing ? current.replace(existing[0], () => section) : `${current.trimEnd()}\n\n${section}`;
	writeFileSync(BENCHMARKS_FILE, next);
	console.log(`wrote the ${name} section of BENCHMARKS.md`);
}
