// GET /ops/metrics: Prometheus text from the Failover Durable Object and Postgres.
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDb } from "../src/db/client";
import { failoverStub } from "../src/failover/state";
import { renderMetrics } from "../src/observability/metrics";
import { uid } from "./fixtures";
import { call, expectProblem, opsHeaders } from "./helpers";

function sample(text: string, series: string): number {
	const line = text.split("\n").find((l) => l.startsWith(`${series} `));
	if (!line) throw new Error(`no sample ${series} in:\n${text}`);
	return Number(line.slice(series.length + 1));
}

async function metrics() {
	const res = await call("/ops/metrics", { headers: opsHeaders });
	expect(res.status).toBe(200);
	expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
	return res.text();
}

describe("/ops/metrics", () => {
	it("needs the ops token", async () => {
		await expectProblem(await call("/ops/metrics"), 401, "UNAUTHENTICATED");
	});

	it("reports failover state, probe rounds and latency, and counts orders and audit actions from Postgres", async () => {
		const stub = failoverStub(env);
		await stub.probeRound();
		const before = await metrics();
		expect(sample(before, "lifeboat_metrics_db_up")).toBe(1);
		expect(sample(before, 'lifeboat_failover_phase{phase="standby"}')).toBe(1);
		expect(sample(before, 'lifeboat_probe_rounds_total{result="up"}')).toBeGreaterThanOrEqual(1);
		const url = (await stub.metrics()).probes[0]?.url as string;
		expect(sample(before, `lifeboat_probe_latency_seconds{url="${url}"}`)).toBeGreaterThanOrEqual(0);

		const { db, close } = openDb(env);
		try {
			const clientId = uid("C");
			await db.execute(sql`INSERT INTO orders (id, client_id, origin, exchange, symbol, side, quantity, order_type, product, status)
				VALUES (${uid("O")}, ${clientId}, 'backup', 'NSE', 'TEST', 'SELL', 1, 'MARKET', 'MIS', 'FAILED')`);
			await db.execute(sql`INSERT INTO audit_log (id, at, client_id, actor, action) VALUES
				(${uid("A")}, now(), ${clientId}, 'system', 'auth.login_failed'), (${uid("A")}, now(), ${clientId}, 'system', 'auth.login_failed')`);
		} finally {
			await close();
		}
		const after = await metrics();
		// Other test files write to the same Postgres in parallel: at least our rows were added.
		expect(sample(after, 'lifeboat_orders{status="FAILED"}')).toBeGreaterThanOrEqual(
			sample(before, 'lifeboat_orders{status="FAILED"}') + 1,
		);
		expect(sample(after, "lifeboat_login_failures_total")).toBeGreaterThanOrEqual(sample(before, "lifeboat_login_failures_total") + 2);
	});

	it("still serves the Durable Object's figures when Postgres is unreachable", async () => {
		const ctx = createExecutionContext();
		// Postgres answers, but refuses: the database does not exist.
		const missing = new URL(env.DATABASE_URL);
		missing.pathname = "/no_such_database";
		const text = await renderMetrics({ ...env, DATABASE_URL: missing.toString() }, await failoverStub(env).metrics(), (p) =>
			ctx.waitUntil(p),
		);
		expect(sample(text, "lifeboat_metrics_db_up")).toBe(0);
		expect(text).toContain("lifeboat_failover_active");
		expect(text).not.toContain("lifeboat_orders{");
	});
});
