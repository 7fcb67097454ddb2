// OMS reachability (api.md "OMS reachability"): the Failover object probes `{OMS_URL}/health`
// in every round; two failed probes in a row make the OMS unreachable, one good probe reachable
// again. While unreachable, square-offs get 503 OMS_UNAVAILABLE and cancels are still taken.
// The shared OMS simulator is never put into a failing mode: instances are pointed at health
// paths of their own on the primary simulator (per-path /health/<name>). This file's global
// instance is its own (Durable Object storage is isolated per test file).
import { env } from "cloudflare:workers";
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDb } from "../src/db/client";
import { failoverKvKey, failoverStub } from "../src/failover/state";
import { healthReport } from "../src/observability/health";
import { renderMetrics } from "../src/observability/metrics";
import type { Order } from "../src/contract";
import { createClient, type PositionSpec } from "./fixtures";
import { healthPath, instance, instanceAlerts, rounds } from "./failover-helpers";
import { call, eventually, expectProblem, opsHeaders, setFailover } from "./helpers";
import { omsBehaviour, omsStats, trader } from "./trading-helpers";

const longEquity = (netQty: number): PositionSpec => ({ instrument: { segment: "EQ" }, netQty, product: "MIS" });

interface StatusBody {
	mode: string;
	oms: { reachable: boolean; since: string | null };
}
const status = async () => (await (await call("/api/status")).json()) as StatusBody;

function sample(text: string, series: string): number {
	const line = text.split("\n").find((l) => l.startsWith(`${series} `));
	if (!line) throw new Error(`no sample ${series} in:\n${text}`);
	return Number(line.slice(series.length + 1));
}

async function auditActionsOf(instanceName: string, expected: number) {
	const { db, close } = openDb(env);
	try {
		return await eventually(
			async () => {
				const res = await db.execute<{ action: string }>(
					sql`SELECT action FROM audit_log WHERE action LIKE 'oms.%' AND detail->>'instance' = ${instanceName} ORDER BY at`,
				);
				return res.rows.length >= expected && res.rows.map((r) => r.action);
			},
			"the oms.* audit entries",
			15_000,
		);
	} finally {
		await close();
	}
}

describe("the decision, on an instance of its own", () => {
	it("two failed OMS health probes in a row make it unreachable, one good probe reachable again; alert and audit once per change", async () => {
		const primary = await healthPath();
		const oms = await healthPath();
		const { name, stub } = await instance([primary.target], { omsHealthUrl: oms.target.url, omsFailThreshold: 2 });

		const calm = await stub.probeRound();
		expect(calm.oms).toMatchObject({ probe: { url: oms.target.url, ok: true, status: 200 }, transition: null });
		expect(calm.state.oms).toEqual({ reachable: true, since: null });
		const v0 = calm.state.version;

		await oms.set({ up: false });
		const once = await stub.probeRound();
		expect(once.oms).toMatchObject({ probe: { ok: false, status: 503 }, transition: null });
		expect(once.state).toMatchObject({ version: v0, oms: { reachable: true, since: null } });

		const twice = await stub.probeRound();
		expect(twice.oms.transition).toBe("unreachable");
		// The primary's decision is its own: it is up, Lifeboat stays in standby.
		expect(twice.up).toBe(true);
		expect(twice.state).toMatchObject({ active: false, phase: "standby", version: v0 + 1, oms: { reachable: false } });
		const downSince = twice.state.oms.since as string;
		expect(Date.now() - Date.parse(downSince)).toBeLessThan(10_000);
		// Mirrored to KV with the failover flag.
		expect(await env.FLAGS.get(failoverKvKey(name), "json")).toMatchObject({
			version: v0 + 1,
			oms: { reachable: false, since: downSince },
		});

		// More failed rounds change nothing and announce nothing.
		for (const r of [await stub.probeRound(), await stub.probeRound(), await stub.probeRound()]) {
			expect(r.oms.transition).toBeNull();
			expect(r.state).toMatchObject({ version: v0 + 1, oms: { reachable: false, since: downSince } });
		}

		await oms.set({ up: true });
		const back = await stub.probeRound();
		expect(back.oms.transition).toBe("reachable");
		expect(back.state).toMatchObject({ version: v0 + 2, oms: { reachable: true } });
		expect(Date.parse(back.state.oms.since as string)).toBeGreaterThanOrEqual(Date.parse(downSince));
		expect((await rounds(stub, 2)).version).toBe(v0 + 2);

		const m = await stub.metrics();
		expect(m.oms).toMatchObject({
			reachable: true,
			url: oms.target.url,
			transitions: { unreachable: 1, reachable: 1 },
			consecutiveFail: 0,
		});
		expect(m.transitions).toEqual({ activated: 0, fenced: 0, deactivated: 0 });

		const down = await instanceAlerts("oms.unreachable", name);
		expect(down).toHaveLength(1);
		expect(down[0]?.text).toContain("OMS_UNAVAILABLE");
		expect(await instanceAlerts("oms.reachable", name)).toHaveLength(1);
		expect(await auditActionsOf(name, 2)).toEqual(["oms.unreachable", "oms.reachable"]);
	});

	it("a flapping OMS (down, up, down, ...) never becomes unreachable at the default threshold", async () => {
		const primary = await healthPath();
		const oms = await healthPath();
		const { stub } = await instance([primary.target], { omsHealthUrl: oms.target.url });
		for (let i = 0; i < 8; i++) {
			await oms.set({ up: i % 2 === 1 });
			const r = await stub.probeRound();
			expect(r.oms.transition).toBeNull();
			expect(r.state.oms.reachable).toBe(true);
		}
	});

	it("a health check that hangs past the probe timeout counts as failed; OMS_FAIL_THRESHOLD-like overrides are honoured", async () => {
		const primary = await healthPath();
		const oms = await healthPath({ delayMs: 2000 });
		const { stub } = await instance([primary.target], { omsHealthUrl: oms.target.url, omsFailThreshold: 3, timeoutMs: 300 });
		const first = await stub.probeRound();
		expect(first.oms.probe).toMatchObject({ ok: false, status: null, error: "timeout after 300 ms" });
		expect((await stub.probeRound()).state.oms.reachable).toBe(true);
		expect((await stub.probeRound()).oms.transition).toBe("unreachable");
		await oms.set({ delayMs: 0 });
		expect((await stub.probeRound()).oms.transition).toBe("reachable");
	});

	it("after a failed OMS probe the next round comes at the suspect interval; the metrics show the OMS's state", async () => {
		const primary = await healthPath();
		const oms = await healthPath({ up: false });
		const { stub } = await instance([primary.target], {
			omsHealthUrl: oms.target.url,
			intervalSeconds: 600,
			suspectIntervalSeconds: 120,
		});
		await stub.ensureLoop();
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const next = (await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())) as number;
		expect(next - Date.now()).toBeLessThanOrEqual(120_000);
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		expect((await stub.state()).oms.reachable).toBe(false);

		const ctx = createExecutionContext();
		const text = await renderMetrics(env, await stub.metrics(), (p) => ctx.waitUntil(p));
		expect(sample(text, "lifeboat_oms_reachable")).toBe(0);
		expect(sample(text, 'lifeboat_oms_transitions_total{to="unreachable"}')).toBe(1);
		expect(sample(text, 'lifeboat_oms_transitions_total{to="reachable"}')).toBe(0);
		expect(sample(text, "lifeboat_oms_probe_consecutive_failures")).toBe(2);
		expect(sample(text, "lifeboat_oms_probe_latency_seconds")).toBeGreaterThanOrEqual(0);

		// While unreachable the rounds stay at the suspect interval: recovery is seen within it.
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const again = (await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())) as number;
		expect(again - Date.now()).toBeLessThanOrEqual(120_000);
		await runInDurableObject(stub, (_i, state) => state.storage.deleteAlarm());
	});
});

describe("on the site (this file's global instance)", () => {
	it("square-offs get 503 OMS_UNAVAILABLE while the OMS is unreachable, cancels are still taken; /api/status, /ops/health and /ops/metrics show it", async () => {
		const stub = failoverStub(env);
		const oms = await healthPath();
		await stub.configure({ omsHealthUrl: oms.target.url });
		try {
			await setFailover(true, "oms reachability test");
			const c = await createClient({ positions: [longEquity(10)] });
			const positionId = c.positionIds[0] as string;
			await omsBehaviour(c.clientId, { holdFills: true });
			const t = await trader(c.clientId);
			const first = await t.post("/api/square-offs", { positionId, quantity: 4 });
			expect(first.status).toBe(202);
			const [order] = ((await first.json()) as { orders: Order[] }).orders;
			expect((await status()).oms.reachable).toBe(true);

			await oms.set({ up: false });
			await stub.probeRound();
			// One failed probe is not an outage.
			expect((await status()).oms.reachable).toBe(true);
			const flip = await stub.probeRound();
			expect(flip.oms.transition).toBe("unreachable");
			expect(await status()).toMatchObject({ mode: "active", oms: { reachable: false, since: flip.state.oms.since } });

			// An isolate reuses the Failover object's answer for up to a second: poll with an exit
			// that would be refused anyway (more than is open), so polling accepts nothing.
			await eventually(
				async () => (await t.post("/api/square-offs", { positionId, quantity: 1000 })).status === 503,
				"square-offs refused",
				5000,
			);
			const problem = await expectProblem(await t.post("/api/square-offs", { positionId, quantity: 1 }), 503, "OMS_UNAVAILABLE");
			expect(problem.detail).toContain("cannot be reached");
			expect((problem as unknown as { oms: unknown }).oms).toEqual({ reachable: false, since: flip.state.oms.since });
			await expectProblem(await t.post("/api/square-offs/all", {}), 503, "OMS_UNAVAILABLE");
			expect(await t.orders()).toHaveLength(1);

			// Cancels only reduce what is in the market: still taken.
			const cancel = await t.post(`/api/orders/${order?.id}/cancel`);
			expect(cancel.status).toBe(202);

			// Load balancers still see a site that can serve; people see which part is down.
			const health = await call("/ops/health");
			expect(health.status).toBe(200);
			expect(await health.json()).toMatchObject({
				ok: true,
				components: {
					failover: { ok: true, active: true },
					postgres: { ok: true },
					oms: { reachable: false, since: flip.state.oms.since },
				},
			});
			const metrics = await (await call("/ops/metrics", { headers: opsHeaders })).text();
			expect(sample(metrics, "lifeboat_oms_reachable")).toBe(0);
			expect(sample(metrics, 'lifeboat_oms_transitions_total{to="unreachable"}')).toBe(1);
			expect(await instanceAlerts("oms.unreachable", "global")).toHaveLength(1);

			await oms.set({ up: true });
			expect((await stub.probeRound()).oms.transition).toBe("reachable");
			expect((await status()).oms.reachable).toBe(true);
			await eventually(
				async () => (await t.post("/api/square-offs", { positionId, quantity: 1000 })).status === 422,
				"square-offs taken again",
				5000,
			);
			expect((await t.post("/api/square-offs", { positionId, quantity: 1 })).status).toBe(202);
			expect(await instanceAlerts("oms.reachable", "global")).toHaveLength(1);
			expect(await instanceAlerts("oms.unreachable", "global")).toHaveLength(1);
		} finally {
			await oms.set({ up: true });
			await stub.probeRound();
			await stub.configure({});
		}
	});

	it("relay failures bring the next round forward (one call for a burst), the round probes the OMS, and alone they flip nothing", async () => {
		const stub = failoverStub(env);
		await stub.configure({ intervalSeconds: 600, suspectIntervalSeconds: 60 });
		try {
			await setFailover(true, "relay suspect test");
			await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now() + 600_000));
			const before = (await stub.metrics()).oms;

			// Four exits relayed side by side, each answered 503 once (then placed on the retry).
			const c = await createClient({ positions: [longEquity(1), longEquity(2), longEquity(3), longEquity(4)] });
			await omsBehaviour(c.clientId, { failTimes: 4 });
			const t = await trader(c.clientId);
			expect((await t.post("/api/square-offs/all", {})).status).toBe(202);
			await eventually(async () => (await omsStats(c.clientId)).errors >= 4, "four relay calls answered 503");
			await eventually(async () => (await stub.metrics()).oms.suspects > before.suspects, "the relay asked for an early probe");
			await eventually(async () => (await omsStats(c.clientId)).distinctOrders === 4, "the retries placed the orders");
			expect((await stub.metrics()).oms.suspects).toBe(before.suspects + 1);

			const next = (await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())) as number;
			expect(next - Date.now()).toBeLessThanOrEqual(60_000);
			expect(await runDurableObjectAlarm(stub)).toBe(true);
			const after = (await stub.metrics()).oms;
			expect(after.lastProbe).toMatchObject({ ok: true, status: 200 });
			expect(Date.parse(after.lastProbe?.at as string)).toBeGreaterThan(Date.parse(before.lastProbe?.at ?? "1970-01-01T00:00:00Z"));
			expect(after).toMatchObject({ reachable: true, transitions: before.transitions });
		} finally {
			await runInDurableObject(stub, (_i, state) => state.storage.deleteAlarm());
			await stub.configure({});
		}
	});

	it("GET /ops/health names each component and stays ok for load balancers when Postgres is away", async () => {
		const res = await call("/ops/health");
		expect(res.status).toBe(200);
		const body = (await res.json()) as { ok: boolean; components: { postgres: { ok: boolean; ms?: number } } };
		expect(body).toMatchObject({
			ok: true,
			components: { failover: { ok: true, phase: expect.any(String) }, postgres: { ok: true }, oms: { reachable: true } },
		});
		expect(body.components.postgres.ms).toBeGreaterThanOrEqual(0);
		// Public: states only, no addresses.
		expect(JSON.stringify(body)).not.toContain("127.0.0.1");

		// Postgres answers, but refuses: the database does not exist.
		const missing = new URL(env.DATABASE_URL);
		missing.pathname = "/no_such_database";
		const ctx = createExecutionContext();
		const report = await healthReport({ ...env, DATABASE_URL: missing.toString() }, await failoverStub(env).state(), (p) =>
			ctx.waitUntil(p),
		);
		expect(report).toMatchObject({ ok: true, components: { postgres: { ok: false } } });
	});
});
