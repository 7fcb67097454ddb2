// The production Worker exactly as wrangler.toml configures it (`wrangler dev --env production`),
// given local secrets and loopback addresses the way a careless deploy might: it must not go
// active. /ops/health names the settings, a manual switch-on gets 409 CONFIG_INCOMPLETE, and when
// the primary fails ops get one alert that it was refused (plus one that the config is incomplete).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poll } from "../../scripts/fixtures.ts";
import { freePort } from "../../scripts/local-postgres.ts";
import { buildUi } from "../../scripts/stack.ts";
import { localSecrets } from "../../src/config/local-secrets.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("production refuses to go active with local or empty settings", () => {
	let site = "";
	let wrangler: ChildProcess;
	let dir = "";
	const alerts: { event: string; text: string }[] = [];
	const collector = http.createServer((req, res) => {
		let body = "";
		req.on("data", (chunk) => {
			body += chunk;
		});
		req.on("end", () => {
			alerts.push(JSON.parse(body));
			res.end("ok");
		});
	});
	const alertsOf = (event: string) => alerts.filter((a) => a.event === event);
	const ops = (path: string, init: RequestInit = {}) =>
		fetch(`${site}${path}`, {
			...init,
			headers: { authorization: `Bearer ${localSecrets.OPS_TOKEN}`, "content-type": "application/json" },
		});

	beforeAll(async () => {
		if (!existsSync(`${root}/ui/dist/index.html`)) await buildUi();
		const collectorPort = await freePort();
		await new Promise<void>((resolve) => collector.listen(collectorPort, "127.0.0.1", resolve));
		const port = await freePort();
		site = `http://127.0.0.1:${port}`;
		dir = mkdtempSync(`${tmpdir()}/lifeboat-prod-guard-`);
		const settings: Record<string, string> = {
			...localSecrets,
			// Loopback only: nothing leaves the machine (the primary's port is closed, so it is down).
			DATABASE_URL: "postgres://postgres:postgres@127.0.0.1:1/lifeboat",
			ALERT_WEBHOOK_URL: `http://127.0.0.1:${collectorPort}/alerts`,
			PRIMARY_HEALTH_URLS: JSON.stringify([{ url: `http://127.0.0.1:${await freePort()}/health`, expectStatus: 200 }]),
			FAILOVER_FAIL_THRESHOLD: "1",
			PROBE_INTERVAL_SECONDS: "1",
			PROBE_SUSPECT_INTERVAL_SECONDS: "1",
			PROBE_TIMEOUT_MS: "1000",
		};
		writeFileSync(
			`${dir}/production.env`,
			Object.entries(settings)
				.map(([k, v]) => `${k}='${v}'`)
				.join("\n"),
		);
		wrangler = spawn(
			process.execPath,
			[
				`${root}/node_modules/wrangler/bin/wrangler.js`,
				"dev",
				"--env",
				"production",
				"--ip",
				"127.0.0.1",
				"--port",
				String(port),
				"--inspector-port",
				String(await freePort()),
				"--test-scheduled",
				"--env-file",
				`${dir}/production.env`,
				"--persist-to",
				`${dir}/wrangler`,
				"--show-interactive-dev-session=false",
			],
			{
				cwd: root,
				env: { ...process.env, X_LOCAL_OBSERVABILITY: "false", WRANGLER_WRITE_LOGS: "false", WRANGLER_SEND_METRICS: "false" },
				stdio: "ignore",
				detached: true,
			},
		);
		const up = await poll(
			() =>
				fetch(`${site}/ops/health`).then(
					(r) => r.status,
					() => 0,
				),
			(status) => status === 200,
			{ timeoutMs: 120_000, intervalMs: 500 },
		);
		if (!up.met) throw new Error(`wrangler dev --env production did not come up on ${site}`);
	}, 180_000);

	afterAll(async () => {
		if (wrangler?.pid && wrangler.exitCode === null) {
			const exited = new Promise((resolve) => wrangler.once("exit", resolve));
			process.kill(-wrangler.pid, "SIGTERM");
			await exited;
		}
		await new Promise((resolve) => collector.close(resolve));
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it("GET /ops/health names every setting that keeps it from going active, without its value", async () => {
		const health = (await (await fetch(`${site}/ops/health`)).json()) as {
			components: { config: { ok: boolean; problems: { setting: string; problem: string }[] } };
		};
		expect(health.components.config.ok).toBe(false);
		expect(health.components.config.problems).toEqual(
			expect.arrayContaining([
				{ setting: "OMS_URL", problem: "empty" },
				{ setting: "BACKUP_ORIGIN", problem: "empty" },
				{ setting: "PRIMARY_HEALTH_URLS", problem: "local" },
				{ setting: "DATABASE_URL", problem: "local" },
				{ setting: "ALERT_WEBHOOK_URL", problem: "local" },
				{ setting: "JWT_SECRET", problem: "local" },
				{ setting: "OPS_TOKEN", problem: "local" },
			]),
		);
		expect(JSON.stringify(health)).not.toContain(localSecrets.JWT_SECRET);
	});

	it("refuses a manual switch-on with 409 CONFIG_INCOMPLETE and stays in standby", async () => {
		const res = await ops("/ops/failover", { method: "POST", body: JSON.stringify({ active: true, reason: "drill" }) });
		expect(res.status).toBe(409);
		expect(res.headers.get("content-type")).toContain("application/problem+json");
		const problem = (await res.json()) as { code: string; detail: string };
		expect(problem.code).toBe("CONFIG_INCOMPLETE");
		expect(problem.detail).toContain("OMS_URL is empty");
		expect(((await (await ops("/ops/failover")).json()) as { state: { active: boolean } }).state.active).toBe(false);
	});

	it("stays in standby while the primary is down, and alerts ops once of each", async () => {
		await fetch(`${site}/__scheduled`); // starts the probe loop
		const rounds = await poll(
			async () => (await (await ops("/ops/failover")).json()) as { consecutiveFail: number; state: { active: boolean } },
			(m) => m.consecutiveFail >= 3,
			{ timeoutMs: 60_000, intervalMs: 500 },
		);
		expect(rounds.met).toBe(true);
		expect(rounds.value.state.active).toBe(false);
		expect(alertsOf("failover.activated")).toEqual([]);
		expect(alertsOf("config.incomplete")).toHaveLength(1);
		expect(alertsOf("config.incomplete")[0]?.text).toContain("OMS_URL is empty");
		expect(alertsOf("failover.refused")).toHaveLength(1);
		expect(alertsOf("failover.refused")[0]?.text).toContain("will NOT go active");
	});
});
