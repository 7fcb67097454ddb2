import preact from "@preact/preset-vite";
import { defineConfig } from "vite";
import { appShell } from "./app-shell.ts";

export default defineConfig({
	root: import.meta.dirname,
	plugins: [preact(), appShell()],
	// No module-preload polyfill: it would be the only inline script, and the CSP forbids those.
	build: { outDir: "dist", emptyOutDir: true, reportCompressedSize: true, target: "es2022", modulePreload: { polyfill: false } },
});
