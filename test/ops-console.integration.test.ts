// The ops console's API: the overview against a stack in known states, each action's effect and
// its audit entry (operator and reason, carried by the outbox), and bad input on every route.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { HISTORY_MS } from "../durable-objects/failover/history";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { LIVE_SESSION_ENDED, OUTCOME_UNKNOWN_REASON, type Order } from "../src/contract";
import { failoverStub } from "../src/failover/state";
import type { Overview } from "../src/ops/overview";
import { totpCode } from "../scripts/fixtures.ts";
import { createClient, openSession, type PositionSpec, uid } from "./fixtures";
import { healthPath, instance } from "./failover-helpers";
import { browserHeaders, call, eventually, expectProblem, openSocket, opsHeaders, query, SITE, setFailover } from "./helpers";
import { omsBehaviour, omsStats, trader } from "./trading-helpers";

const longEquity = (netQty: number): PositionSpec => ({ instrument: { segment: "EQ" }, netQty, product: "MIS" });

const ops = (path: string, body?: unknown, method = "POST") =>
	call(`/ops${path}`, { method, headers: opsHeaders, body: body === undefined ? undefined : JSON.stringify(body) });

async function overview(): Promise<Overview> {
	const res = await call("/ops/overview", { headers: opsHeaders });
	expect(res.status).toBe(200);
	return (await res.json()) as Overview;
}

type AuditRow = {
	actor: string;
	action: string;
	client_id: string | null;
	detail: Record<string, unknown>;
};

/** Audit rows of an action, polled until `match` finds one (the records queue writes them), also checking the outbox carries it. */
async function audited(action: string, match: (r: AuditRow) => boolean): Promise<AuditRow> {
	return eventually(async () => {
		const rows = await query(
			async (db) =>
				(
					await db.execute<AuditRow & { in_outbox: boolean }>(
						sql`SELECT a.actor, a.action, a.client_id, a.detail,
							EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = 'audit:' || a.id AND o.kind = 'audit') AS in_outbox
							FROM audit_log a WHERE a.action = ${action}`,
					)
				).rows,
		);
		const row = rows.find((r) => match(r) && r.in_outbox);
		return row ?? false;
	}, `audit ${action} in the outbox`);
}

async function signInSteps(clientId: string, password: string, totpSecret: string) {
	const headers = browserHeaders();
	const login = await call("/api/auth/login", { method: "POST", headers, body: JSON.stringify({ clientId, password }) });
	const { challengeId } = (await login.json()) as { challengeId: string };
	return call("/api/auth/totp", { method: "POST", headers, body: JSON.stringify({ challengeId, code: await totpCode(totpSecret) }) });
}

beforeAll(() => setFailover(true, "ops console tests"));

describe("GET /ops/overview", () => {
	it("shows failover state in full, probes per target over time, OMS reachability and replication lag", async () => {
		const reason = `drill ${uid()}: primary order book frozen, exchange confirms`;
		expect((await ops("/failover", { active: true, reason })).status).toBe(200);
		const stub = failoverStub(env);
		await stub.probeRound();
		await stub.probeRound();
		await stub.sampleReplicationLag();
		const o = await overview();
		expect(o.failover).toMatchObject({ active: true, phase: "active", source: "manual", reason });
		expect(Date.parse(o.failover.since ?? "")).toBeGreaterThan(Date.now() - 60_000);
		const primary = o.probes.find((p) => p.kind === "primary");
		expect(primary?.target).toContain("/health");
		expect(primary?.points.length).toBeGreaterThanOrEqual(2);
		expect(primary?.points.at(-1)).toMatchObject({ ok: true });
		expect(typeof primary?.points.at(-1)?.latencyMs).toBe("number");
		const oms = o.probes.find((p) => p.kind === "oms");
		expect(oms?.points.length).toBeGreaterThanOrEqual(2);
		expect(o.oms).toMatchObject({ reachable: true });
		expect(o.replication.history.length).toBeGreaterThanOrEqual(1);
		expect(o.db.up).toBe(true);
		// The notices' counts from Postgres (src/notices/counts.ts): every notice is in exactly one state.
		const n = o.notices;
		expect(n).not.toBeNull();
		expect((n?.sent ?? -1) + (n?.pending ?? -1) + (n?.failed ?? -1)).toBe(n?.queued);
	});

	it("keeps only the last hour of probes and lag samples in the Failover object", async () => {
		const { target } = await healthPath();
		const { stub } = await instance([target]);
		const hourAgo = Date.now() - HISTORY_MS;
		await runInDurableObject(stub, async (_obj, state) => {
			state.storage.sql.exec(
				"INSERT INTO probe_history (at, target, kind, ok, latency_ms) VALUES (?, 'old', 'primary', 1, 5)",
				hourAgo - 1000,
			);
			state.storage.sql.exec("INSERT INTO lag_history (at, lag_seconds) VALUES (?, 7)", hourAgo - 1000);
		});
		await stub.probeRound();
		await stub.sampleReplicationLag();
		const h = await stub.history();
		expect(h.probes.map((p) => p.target)).toEqual([target.url, ...h.probes.filter((p) => p.kind === "oms").map((p) => p.target)]);
		expect(h.lag.every((l) => Date.parse(l.at) > hourAgo)).toBe(true);
		await runInDurableObject(stub, async (_obj, state) => {
			expect(state.storage.sql.exec("SELECT count(*) AS n FROM probe_history WHERE target = 'old'").one().n).toBe(0);
			expect(state.storage.sql.exec("SELECT count(*) AS n FROM lag_history WHERE at < ?", hourAgo).one().n).toBe(0);
		});
	});

	it("a target going down shows as a down point with its latency", async () => {
		// An instance of its own: the shared primary simulator's /health stays up for other test files.
		const path = await healthPath();
		const { stub } = await instance([path.target]);
		await stub.probeRound();
		await path.set({ up: false });
		await stub.probeRound();
		const points = (await stub.history()).probes.find((p) => p.target === path.target.url)?.points ?? [];
		expect(points.map((p) => p.ok)).toEqual([true, false]);
		expect(points.every((p) => typeof p.latencyMs === "number")).toBe(true);
	});

	it("counts orders by status and lists failed and outcome-unknown orders with client, symbol, reason and age", async () => {
		const clientId = uid("C");
		const failedId = uid("O");
		const unknownId = uid("O");
		const before = await overview();
		await query((db) =>
			db.execute(sql`INSERT INTO orders (id, client_id, origin, exchange, symbol, side, quantity, order_type, product, status, reason, created_at, updated_at) VALUES
				(${failedId}, ${clientId}, 'backup', 'NSE', 'INFY', 'SELL', 10, 'MARKET', 'MIS', 'FAILED', 'could not be relayed to the OMS after 8 attempt(s)', now() - interval '90 seconds', now()),
				(${unknownId}, ${clientId}, 'backup', 'NFO', 'NIFTY25DEC24000CE', 'BUY', 75, 'MARKET', 'NRML', 'SENT', ${OUTCOME_UNKNOWN_REASON}, now() - interval '30 seconds', now())`),
		);
		await query((db) =>
			db.execute(
				sql`INSERT INTO audit_log (id, at, client_id, actor, action) VALUES (${uid("A")}, now(), ${clientId}, 'system', 'order.failed')`,
			),
		);
		const o = await overview();
		expect(o.orders?.byStatus.FAILED).toBeGreaterThanOrEqual((before.orders?.byStatus.FAILED ?? 0) + 1);
		expect(o.orders?.byStatus.SENT).toBeGreaterThanOrEqual((before.orders?.byStatus.SENT ?? 0) + 1);
		const failed = o.failedOrders?.find((f) => f.id === failedId);
		expect(failed).toMatchObject({
			clientId,
			symbol: "INFY",
			problem: "failed",
			reason: "could not be relayed to the OMS after 8 attempt(s)",
		});
		expect(failed?.ageSeconds).toBeGreaterThanOrEqual(85);
		expect(o.failedOrders?.find((f) => f.id === unknownId)).toMatchObject({ clientId, symbol: "NIFTY25DEC24000CE", problem: "unknown" });
		expect(o.deadLetters?.lastHour).toBeGreaterThanOrEqual((before.deadLetters?.lastHour ?? 0) + 1);
	});
});

describe("ops actions", () => {
	it("failover on, off and back to automatic: each audited with the operator and reason, carried by the outbox", async () => {
		const tag = uid("R");
		expect((await ops("/failover", { active: true, reason: `on ${tag}` })).status).toBe(200);
		expect((await ops("/failover", { active: false, reason: `off ${tag}` })).status).toBe(200);
		const auto = await ops("/failover/automatic", { reason: `auto ${tag}` });
		expect(auto.status).toBe(200);
		expect(((await auto.json()) as { source: string }).source).toBe("auto");
		for (const [action, reason] of [
			["ops.failover_on", `on ${tag}`],
			["ops.failover_off", `off ${tag}`],
			["ops.failover_automatic", `auto ${tag}`],
		] as const) {
			const row = await audited(action, (r) => r.detail.reason === reason);
			expect(row.actor).toBe("ops:ops-token");
			expect(row.detail.operator).toBe("ops-token");
		}
		// The transition itself names who made it too.
		const fenced = await audited("failover.fenced", (r) => r.detail.reason === `off ${tag}`);
		expect(fenced.actor).toBe("ops:ops-token");
		await setFailover(true, "ops console tests");
	});

	it("disabling a client ends its sessions and live sockets (4401), refuses sign-in with CLIENT_DISABLED and square-offs; enabling lets it back", async () => {
		const c = await createClient({ positions: [longEquity(10)] });
		const { cookie } = await openSession(c.clientId);
		const socket = await openSocket(cookie);
		const reason = `account looks taken over ${uid()}`;
		const res = await ops(`/clients/${c.clientId}/disable`, { reason });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ clientId: c.clientId, changed: true, disabled: { operator: "ops-token", reason } });
		expect(await socket.closed).toMatchObject({ code: LIVE_SESSION_ENDED });
		await expectProblem(await call("/api/me", { headers: { cookie } }), 401, "UNAUTHENTICATED");
		const exit = await call("/api/square-offs", {
			method: "POST",
			headers: { cookie, origin: SITE, "content-type": "application/json", "idempotency-key": uid() },
			body: JSON.stringify({ positionId: c.positionIds[0] }),
		});
		await expectProblem(exit, 401, "UNAUTHENTICATED");
		await expectProblem(await signInSteps(c.clientId, c.password, c.totpSecret), 403, "CLIENT_DISABLED");
		const row = await audited("ops.client_disabled", (r) => r.client_id === c.clientId);
		expect(row).toMatchObject({ actor: "ops:ops-token", detail: { operator: "ops-token", reason } });

		// Disabling again changes nothing (and says so).
		expect(await (await ops(`/clients/${c.clientId}/disable`, { reason: "again" })).json()).toMatchObject({ changed: false });

		const enabled = await ops(`/clients/${c.clientId}/enable`, { reason: "client called from the registered number" });
		expect(await enabled.json()).toMatchObject({ clientId: c.clientId, changed: true });
		// Old sessions stay ended; signing in again works.
		await expectProblem(await call("/api/me", { headers: { cookie } }), 401, "UNAUTHENTICATED");
		expect((await signInSteps(c.clientId, c.password, c.totpSecret)).status).toBe(200);
		expect(await audited("ops.client_enabled", (r) => r.client_id === c.clientId)).toMatchObject({
			actor: "ops:ops-token",
			detail: { reason: "client called from the registered number" },
		});
	});

	it("a wrong code for a disabled client is still the plain INVALID_OTP: only both factors learn it is disabled", async () => {
		const c = await createClient();
		await ops(`/clients/${c.clientId}/disable`, { reason: "test" });
		const headers = browserHeaders();
		const login = await call("/api/auth/login", {
			method: "POST",
			headers,
			body: JSON.stringify({ clientId: c.clientId, password: c.password }),
		});
		const { challengeId } = (await login.json()) as { challengeId: string };
		const wrong = String((Number(await totpCode(c.totpSecret)) + 1) % 1_000_000).padStart(6, "0");
		await expectProblem(
			await call("/api/auth/totp", { method: "POST", headers, body: JSON.stringify({ challengeId, code: wrong }) }),
			401,
			"INVALID_OTP",
		);
	});

	it("cancels every live order of a client, audited per order and as one action", async () => {
		const c = await createClient({ positions: [longEquity(20), longEquity(30)] });
		await omsBehaviour(c.clientId, { holdFills: true });
		const t = await trader(c.clientId);
		for (const positionId of c.positionIds) expect((await t.post("/api/square-offs", { positionId })).status).toBe(202);
		const open = await eventually(async () => {
			const orders = await t.orders();
			return orders.length === 2 && orders.every((o) => o.status === "SENT" || o.status === "OPEN") && orders;
		}, "orders at the OMS");
		const reason = `client asked on the phone ${uid()}`;
		const res = await ops(`/clients/${c.clientId}/cancel-all`, { reason });
		expect(res.status).toBe(200);
		const { orders } = (await res.json()) as { orders: Order[] };
		expect(orders.map((o) => o.id).sort()).toEqual(open.map((o) => o.id).sort());
		// The cancels reach the OMS (its CANCELLED events then end the orders, as for a trader's cancel).
		await eventually(async () => (await omsStats(c.clientId)).cancels === 2, "both cancels at the OMS");
		const row = await audited("ops.orders_cancelled", (r) => r.client_id === c.clientId);
		expect(row).toMatchObject({ actor: "ops:ops-token", detail: { reason } });
		expect((row.detail.orderIds as string[]).length).toBe(2);
		const perOrder = await audited("order.cancel_requested", (r) => r.client_id === c.clientId);
		expect(perOrder.actor).toBe("ops:ops-token");
	});

	it("looks up one client's positions and orders read-only, and records that ops looked", async () => {
		const c = await createClient({ positions: [longEquity(15)] });
		const res = await call(`/ops/clients/${c.clientId}`, { headers: opsHeaders });
		expect(res.status).toBe(200);
		const view = (await res.json()) as {
			clientId: string;
			positions: { id: string; netQty: number }[];
			orders: Order[];
			opsDisabled: null;
		};
		expect(view).toMatchObject({ clientId: c.clientId, status: "active", opsDisabled: null, orders: [] });
		expect(view.positions.map((p) => [p.id, p.netQty])).toEqual([[c.positionIds[0], 15]]);
		expect((await audited("ops.client_viewed", (r) => r.client_id === c.clientId)).actor).toBe("ops:ops-token");
	});
});

describe("bad input on every ops route: 4xx problem+json, nothing changed", () => {
	it("failover: missing or empty reason, unknown field, wrong type, not JSON", async () => {
		const before = (await overview()).failover;
		for (const body of [
			{ active: false },
			{ active: false, reason: "  " },
			{ active: false, reason: "x", force: true },
			{ active: "no", reason: "x" },
		]) {
			const res = await ops("/failover", body);
			expect(res.status).toBe(400);
			expect(res.headers.get("content-type")).toContain("application/problem+json");
		}
		await expectProblem(await ops("/failover", { active: false, reason: "x", force: true }), 400, "UNKNOWN_FIELD");
		await expectProblem(await call("/ops/failover", { method: "POST", headers: opsHeaders, body: "{not json" }), 400, "MALFORMED_REQUEST");
		await expectProblem(
			await call("/ops/clients/DEMO01/disable", { method: "POST", headers: opsHeaders, body: "[" }),
			400,
			"MALFORMED_REQUEST",
		);
		await expectProblem(await ops("/failover/automatic", {}), 400, "INVALID_BODY");
		await expectProblem(await ops("/failover/automatic", { reason: "x", extra: 1 }), 400, "UNKNOWN_FIELD");
		expect((await overview()).failover).toEqual(before);
	});

	it("clients: unknown client 404, bad ids 400, reason required, unknown fields refused; the client stays as it was", async () => {
		const c = await createClient();
		const { cookie } = await openSession(c.clientId);
		await expectProblem(await ops(`/clients/${c.clientId}/disable`, {}), 400, "INVALID_BODY");
		await expectProblem(await ops(`/clients/${c.clientId}/disable`, { reason: "x", permanent: true }), 400, "UNKNOWN_FIELD");
		await expectProblem(await ops(`/clients/${c.clientId}/cancel-all`, { reason: "" }), 400, "INVALID_BODY");
		await expectProblem(await ops(`/clients/${c.clientId}/enable`, { why: "x" }), 400, "UNKNOWN_FIELD");
		await expectProblem(await ops(`/clients/${uid("NOBODY")}/disable`, { reason: "x" }), 404, "CLIENT_NOT_FOUND");
		await expectProblem(await call(`/ops/clients/${uid("NOBODY")}`, { headers: opsHeaders }), 404, "CLIENT_NOT_FOUND");
		await expectProblem(await ops(`/clients/${"X".repeat(65)}/disable`, { reason: "x" }), 400, "INVALID_REQUEST");
		await expectProblem(await ops(`/clients/A%00B/disable`, { reason: "x" }), 400, "INVALID_REQUEST");
		// Still signed in: nothing was disabled.
		expect((await call("/api/me", { headers: { cookie } })).status).toBe(200);
	});

	it("every ops route needs the token", async () => {
		for (const [method, path] of [
			["GET", "/ops/overview"],
			["POST", "/ops/failover/automatic"],
			["GET", "/ops/clients/DEMO01"],
			["POST", "/ops/clients/DEMO01/disable"],
			["POST", "/ops/clients/DEMO01/enable"],
			["POST", "/ops/clients/DEMO01/cancel-all"],
		] as const) {
			await expectProblem(
				await call(path, {
					method,
					headers: { "content-type": "application/json" },
					body: method === "POST" ? '{"reason":"x"}' : undefined,
				}),
				401,
				"UNAUTHENTICATED",
			);
		}
	});
});
