// Builds the service worker (src/sw.ts) into /sw.js with the list of the trader app's files
// (what index.html loads, plus the manifest and icons) and a version hashed from their
// contents, so every deploy that changes the app gets a new cache name.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Plugin, Rolldown } from "vite";

/** Files of ui/public that belong to the shell. */
export const PUBLIC_SHELL = ["manifest.webmanifest", "icon.svg", "icon-192.png", "icon-512.png"];
const SW_SOURCE = fileURLToPath(new URL("./src/sw.ts", import.meta.url));

/** The entry chunk of index.html and every chunk, stylesheet and asset it loads. */
function pageFiles(bundle: Rolldown.OutputBundle): string[] {
	const entry = Object.values(bundle).find(
		(f): f is Rolldown.OutputChunk => f.type === "chunk" && f.isEntry && (f.facadeModuleId?.endsWith("/index.html") ?? false),
	);
	if (!entry) throw new Error("app shell: no index.html entry in the bundle");
	const files = new Set<string>();
	const visit = (name: string) => {
		if (files.has(name)) return;
		files.add(name);
		const f = bundle[name];
		if (f?.type !== "chunk") return;
		for (const i of f.imports) visit(i);
		for (const css of f.viteMetadata?.importedCss ?? []) visit(css);
		for (const asset of f.viteMetadata?.importedAssets ?? []) visit(asset);
	};
	visit(entry.fileName);
	return [...files];
}

export function appShell(): Plugin {
	let publicDir = "";
	return {
		name: "lifeboat-app-shell",
		apply: "build",
		configResolved(config) {
			publicDir = config.publicDir;
		},
		buildStart() {
			this.emitFile({ type: "chunk", id: SW_SOURCE, fileName: "sw.js" });
		},
		generateBundle(_options, bundle) {
			const sw = bundle["sw.js"];
			if (sw?.type !== "chunk") throw new Error("app shell: sw.js was not built");
			const built = pageFiles(bundle);
			const hash = createHash("sha256");
			for (const name of built.sort()) {
				const f = bundle[name];
				hash.update(name).update(f?.type === "chunk" ? f.code : (f?.source ?? ""));
			}
			for (const name of PUBLIC_SHELL) hash.update(name).update(readFileSync(`${publicDir}/${name}`));
			const version = hash.digest("hex").slice(0, 16);
			const shell = ["/", ...built.map((f) => `/${f}`), ...PUBLIC_SHELL.map((f) => `/${f}`)];
			const code = sw.code
				.replace(/(["'`])__SHELL_VERSION__\1/, JSON.stringify(version))
				.replace(/\[\s*(["'`])__SHELL_FILES__\1\s*\]/, JSON.stringify(shell));
			if (code.includes("__SHELL_")) throw new Error("app shell: placeholders left in sw.js");
			sw.code = code;
		},
	};
}
