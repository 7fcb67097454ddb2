// The ops console: a second entry, built apart from the trader UI (own chunks, own 30 KB budget,
// scripts/ui-size.ts). Its page lands at dist/ops/index.html (served by GET /ops/) and its
// scripts and styles under /ops-assets/ (the assets layer serves them; /ops/* is the Worker's).
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
	root: import.meta.dirname,
	plugins: [preact()],
	publicDir: false,
	build: {
		outDir: "dist",
		// After the trader build (which empties dist): keep its files.
		emptyOutDir: false,
		assetsDir: "ops-assets",
		target: "es2022",
		reportCompressedSize: true,
		modulePreload: { polyfill: false },
		rollupOptions: { input: `${import.meta.dirname}/ops/index.html` },
	},
});
