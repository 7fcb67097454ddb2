// Starts what the tests talk to outside the Workers runtime: a real Postgres (embedded),
// the WebSocket relay the Neon driver needs, and the primary, OMS, Cloudflare Access and notification simulators.
// Their addresses reach vitest.config.ts (and the tests) through provide/inject.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import type { TestProject } from "vitest/node";
import { freePort, startPostgres, startWsRelay } from "../scripts/local-postgres.ts";
import { localSecrets } from "../src/config/local-secrets.ts";
import { applyMigrations } from "../scripts/migrate.ts";
import { seedDemo } from "../scripts/seed.ts";
import { startAccessSimulator } from "../simulators/access.ts";
import { startNotifySimulator } from "../simulators/notify.ts";
import { startOmsSimulator } from "../simulators/oms.ts";
import { startPrimarySimulator } from "../simulators/primary.ts";

export default async function setup(project: TestProject) {
	const dir = mkdtempSync(`${tmpdir()}/lifeboat-pg-`);
	const pg = await startPostgres({ dir, port: await freePort(), persistent: false, countStatements: true });
	const stops: (() => Promise<void>)[] = [];
	const teardown = async () => {
		await Promise.allSettled(stops.reverse().map((stop) => stop()));
		await pg.stop();
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await applyMigrations(pg.url);
		await seedDemo(pg.url, localSecrets);
	} catch (err) {
		await teardown();
		throw err;
	}
	const relay = await startWsRelay(await freePort());
	stops.push(relay.stop);
	const oms = await startOmsSimulator({
		relaySecret: localSecrets.OMS_RELAY_HMAC_SECRET,
		eventsSecret: localSecrets.OMS_EVENTS_HMAC_SECRET,
	});
	stops.push(oms.stop);
	const primary = await startPrimarySimulator();
	stops.push(primary.stop);
	const access = await startAccessSimulator();
	stops.push(access.stop);
	const notify = await startNotifySimulator({ secret: localSecrets.NOTIFY_HMAC_SECRET });
	stops.push(notify.stop);
	const pgStats = http.createServer((req, res) => {
		const app = new URL(req.url ?? "/", "http://stats").searchParams.get("app") ?? "";
		res.writeHead(200, { "content-type": "application/json" });
		res.end(JSON.stringify({ app, count: pg.statementCounts.get(app) ?? 0 }));
	});
	const pgStatsPort = await freePort();
	await new Promise<void>((resolve) => pgStats.listen(pgStatsPort, "127.0.0.1", () => resolve()));
	stops.push(() => new Promise((resolve) => pgStats.close(() => resolve())));

	project.provide("databaseUrl", pg.url);
	project.provide("wsProxy", relay.proxy);
	project.provide("omsUrl", oms.url);
	project.provide("primaryUrl", primary.url);
	project.provide("accessUrl", access.url);
	project.provide("notifyUrl", notify.url);
	project.provide("pgStatsUrl", `http://127.0.0.1:${pgStatsPort}`);

	return teardown;
}
