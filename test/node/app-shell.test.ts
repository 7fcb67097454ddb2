// The service worker the build makes (ui/app-shell.ts): it lists exactly what the trader's
// page loads plus the manifest and icons, and its cache version changes with the app's
// contents, so a deploy that changes the app reaches every installed browser as a new worker.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { afterAll, describe, expect, it } from "vitest";

const config = fileURLToPath(new URL("../../ui/vite.config.ts", import.meta.url));
const dirs: string[] = [];

/** Builds the UI into a throwaway folder; `extraCss` stands for a change in the next deploy. */
async function buildUi(extraCss = "") {
	const outDir = mkdtempSync(`${tmpdir()}/lifeboat-shell-`);
	dirs.push(outDir);
	await build({
		configFile: config,
		logLevel: "silent",
		build: { outDir, emptyOutDir: true },
		plugins: [{ name: "next-deploy", transform: (code, id) => (id.endsWith("styles.css") ? code + extraCss : undefined) }],
	});
	const sw = readFileSync(`${outDir}/sw.js`, "utf8");
	const html = readFileSync(`${outDir}/index.html`, "utf8");
	const version = sw.match(/"([0-9a-f]{16})"/)?.[1];
	const shell = JSON.parse(sw.match(/\[("\/"[^\]]*)\]/)?.[0] ?? "[]") as string[];
	return { sw, html, version, shell };
}

afterAll(() => {
	for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the app shell's service worker", () => {
	it("lists the page, what it loads, the manifest and icons; never the API, ops or status", async () => {
		const { sw, html, version, shell } = await buildUi();
		expect(version).toBeDefined();
		const loaded = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
		expect(loaded.length).toBeGreaterThanOrEqual(2);
		expect(shell.sort()).toEqual(["/", ...loaded, "/manifest.webmanifest", "/icon.svg", "/icon-192.png", "/icon-512.png"].sort());
		expect(sw).not.toContain("__SHELL_");
		expect(sw).toContain(String.raw`/^\/(api|ops|sync|oms|status)(\/|$)/`);
	});

	it("gets a new cache version when the app changes, and keeps it when nothing does", async () => {
		const first = await buildUi();
		const again = await buildUi();
		const next = await buildUi(".next-deploy{color:red}");
		expect(again.version).toBe(first.version);
		expect(next.version).not.toBe(first.version);
		expect(next.sw).not.toBe(first.sw);
	});
});
