// Starts the whole local stack once for the browser tests (skipped without Chromium).
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { TestProject } from "vitest/node";
import { freePort } from "../../scripts/local-postgres.ts";
import { startStack } from "../../scripts/stack.ts";
import { hasChromium } from "./chromium.ts";

declare module "vitest" {
	export interface ProvidedContext {
		siteUrl: string;
		stackOmsUrl: string;
		stackDatabaseUrl: string;
		stackPrimaryUrl: string;
	}
}

export default async function setup(project: TestProject) {
	if (!hasChromium) return;
	const dataDir = mkdtempSync(`${tmpdir()}/lifeboat-browser-`);
	// Under root, Postgres runs as the postgres user, which must get through (scripts/local-postgres.ts).
	chmodSync(dataDir, 0o755);
	const stack = await startStack({ port: await freePort(), dataDir, persistent: false, quiet: true }).catch((err) => {
		rmSync(dataDir, { recursive: true, force: true });
		throw err;
	});
	project.provide("siteUrl", stack.url);
	project.provide("stackOmsUrl", stack.oms.url);
	project.provide("stackDatabaseUrl", stack.databaseUrl);
	project.provide("stackPrimaryUrl", stack.primary.url);
	return async () => {
		await stack.stop();
		rmSync(dataDir, { recursive: true, force: true });
	};
}
