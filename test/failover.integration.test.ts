// The Failover Durable Object's probes and decisions, driven round by round. Each test uses its
// own instance (env.FAILOVER.getByName(unique)) pointed at its own health paths on the shared
// primary simulator, so tests never flip shared state.
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { failoverKvKey } from "../src/failover/state";
import { openDb } from "../src/db/client";
import worker from "../src/index";
import { healthPath, instanceAlerts as alertsFor, instance, rounds } from "./failover-helpers";
import { uid } from "./fixtures";
import { call, opsHeaders } from "./helpers";

describe("failover decision", () => {
	it("becomes active on exactly the failThreshold-th failed round and starts back after recoverThreshold good ones", async () => {
		const path = await healthPath({ up: false });
		const { name, stub } = await instance([path.target]);

		const first = await stub.probeRound();
		expect(first.up).toBe(false);
		expect(first.results[0]).toMatchObject({ ok: false, status: 503 });
		expect((await stub.probeRound()).state).toMatchObject({ active: false, phase: "standby" });
		const third = await stub.probeRound();
		expect(third.transition).toBe("activated");
		expect(third.state).toMatchObject({ active: true, phase: "active", source: "auto", outboxReady: false });
		expect(third.state.reason).toContain("3 health rounds");
		// The KV mirror carries the new state.
		expect(await env.FLAGS.get(failoverKvKey(name), "json")).toMatchObject({ active: true, version: third.state.version });

		await path.set({ up: true });
		expect(await rounds(stub, 4)).toMatchObject({ active: true, phase: "active" });
		const fifth = await stub.probeRound();
		// No order of this instance's client is in flight, so the fence completes in the same round.
		expect(fifth.transition).toBe("deactivated");
		expect(fifth.state).toMatchObject({ active: false, phase: "standby", outboxReady: true });
		expect((await stub.metrics()).transitions).toEqual({ activated: 1, fenced: 1, deactivated: 1 });
	});

	it("never flips on a flapping primary (alternating down and up), in either direction", async () => {
		const path = await healthPath();
		const { stub } = await instance([path.target]);
		for (let i = 0; i < 12; i++) {
			await path.set({ up: i % 2 === 1 });
			expect((await stub.probeRound()).transition).toBeNull();
		}
		expect(await stub.state()).toMatchObject({ active: false, phase: "standby", version: 0 });

		await path.set({ up: false });
		expect(await rounds(stub, 3)).toMatchObject({ active: true });
		for (let i = 0; i < 12; i++) {
			// Four good rounds then one bad: never five good in a row.
			await path.set({ up: i % 5 !== 4 });
			expect((await stub.probeRound()).transition).toBeNull();
		}
		expect(await stub.state()).toMatchObject({ active: true, phase: "active" });
	});

	it("counts a probe that exceeds its timeout as a failure", async () => {
		const slow = await healthPath({ delayMs: 2000 });
		const { stub } = await instance([slow.target], { timeoutMs: 300 });
		const round = await stub.probeRound();
		expect(round.up).toBe(false);
		expect(round.results[0]).toMatchObject({ ok: false, status: null, error: "timeout after 300 ms" });
		expect(round.results[0]?.latencyMs).toBeLessThan(1500);
		expect(await rounds(stub, 2)).toMatchObject({ active: true });

		await slow.set({ delayMs: 50 });
		const answered = await stub.probeRound();
		expect(answered.results[0]).toMatchObject({ ok: true, status: 200 });
	});

	it("fails a round when any one of several URLs is down, or answers without the expected body", async () => {
		const a = await healthPath();
		const b = await healthPath({ up: false });
		const c = await healthPath({ body: '{"status":"degraded"}' });
		const { stub } = await instance([a.target, b.target, { ...c.target, bodyIncludes: '"ok"' }]);
		const round = await stub.probeRound();
		expect(round.up).toBe(false);
		expect(round.results.map((r) => r.ok)).toEqual([true, false, false]);
		expect(round.results[2]?.error).toContain("body lacks");
		expect(await rounds(stub, 2)).toMatchObject({ active: true });

		await b.set({ up: true });
		await c.set({ body: '{"status":"ok"}' });
		expect((await stub.probeRound()).up).toBe(true);
	});
});

describe("manual override", () => {
	it("holds active against healthy probes and standby against failing ones, until cleared", async () => {
		const path = await healthPath();
		const { stub } = await instance([path.target]);
		expect(await stub.setManual(true, "drill")).toMatchObject({ active: true, source: "manual", reason: "drill" });
		expect(await rounds(stub, 8)).toMatchObject({ active: true, source: "manual" });
		expect((await stub.metrics()).consecutiveOk).toBe(8);

		expect(await stub.clearManual()).toMatchObject({ active: true, source: "auto" });
		// Eight good rounds were already seen: the next one starts the failback.
		expect((await stub.probeRound()).state).toMatchObject({ active: false, phase: "standby", source: "auto" });

		await path.set({ up: false });
		expect(await stub.setManual(false, "primary under maintenance, stay out")).toMatchObject({ active: false, source: "manual" });
		expect(await rounds(stub, 6)).toMatchObject({ active: false, source: "manual" });
		await stub.clearManual();
		expect((await stub.probeRound()).state).toMatchObject({ active: true, source: "auto" });
	});

	it("POST and DELETE /ops/failover drive the real instance: the override holds over healthy rounds and clears", async () => {
		const stub = env.FAILOVER.getByName("global");
		await stub.configure({ inFlightClientIds: [uid("C")], fenceSettleSeconds: 0 });
		const on = await call("/ops/failover", {
			method: "POST",
			headers: opsHeaders,
			body: JSON.stringify({ active: true, reason: "drill" }),
		});
		expect(await on.json()).toMatchObject({ active: true, source: "manual" });
		expect(await rounds(stub, 6)).toMatchObject({ active: true, source: "manual", reason: "drill" });

		const off = await call("/ops/failover", { method: "DELETE", headers: opsHeaders });
		expect(await off.json()).toMatchObject({ active: true, source: "auto" });
		expect((await stub.probeRound()).state).toMatchObject({ active: false, phase: "standby" });
	});
});

describe("alerts and audit", () => {
	it("sends one alert per transition however many rounds confirm it, and audits each", async () => {
		const path = await healthPath({ up: false });
		const { name, stub } = await instance([path.target]);
		await rounds(stub, 7);
		expect(await alertsFor("failover.activated", name)).toHaveLength(1);
		await path.set({ up: true });
		await rounds(stub, 9);
		expect(await alertsFor("failover.activated", name)).toHaveLength(1);
		expect(await alertsFor("failover.fenced", name)).toHaveLength(1);
		expect(await alertsFor("failover.deactivated", name)).toHaveLength(1);

		const { db, close } = openDb(env);
		try {
			await vi.waitFor(
				async () => {
					const res = await db.execute<{ action: string }>(
						sql`SELECT action FROM audit_log WHERE detail->>'instance' = ${name} ORDER BY at, action`,
					);
					expect(res.rows.map((r) => r.action).sort()).toEqual(["failover.activated", "failover.deactivated", "failover.fenced"]);
				},
				{ timeout: 15_000, interval: 200 },
			);
		} finally {
			await close();
		}
	});
});

describe("fence before failback", () => {
	async function pendingOrder(clientId: string) {
		const id = uid("O");
		const { db, close } = openDb(env);
		try {
			await db.execute(sql`INSERT INTO orders (id, client_id, origin, exchange, symbol, side, quantity, order_type, product, status)
				VALUES (${id}, ${clientId}, 'backup', 'NSE', 'TEST', 'SELL', 1, 'MARKET', 'MIS', 'PENDING')`);
		} finally {
			await close();
		}
		return {
			setStatus: async (status: string) => {
				const o = openDb(env);
				try {
					await o.db.execute(sql`UPDATE orders SET status = ${status} WHERE id = ${id}`);
				} finally {
					await o.close();
				}
			},
		};
	}

	it("refuses new square-offs while an accepted order is still PENDING, and hands over once it is SENT", async () => {
		const clientId = uid("C");
		const path = await healthPath({ up: false });
		const { stub } = await instance([path.target], { inFlightClientIds: [clientId] });
		await rounds(stub, 3);
		const order = await pendingOrder(clientId);

		await path.set({ up: true });
		await rounds(stub, 4);
		const fifth = await stub.probeRound();
		expect(fifth.transition).toBe("fenced");
		expect(fifth.state).toMatchObject({ active: false, phase: "fencing", outboxReady: false });
		expect(await rounds(stub, 3)).toMatchObject({ active: false, phase: "fencing", outboxReady: false });

		await order.setStatus("SENT");
		const done = await stub.probeRound();
		expect(done.transition).toBe("deactivated");
		expect(done.state).toMatchObject({ active: false, phase: "standby", outboxReady: true });
		expect(done.state.reason).toContain("no order in flight");
	});

	it("holds the fence fenceSettleSeconds before trusting Postgres (orders accepted just before it reach Postgres within that)", async () => {
		const path = await healthPath({ up: false });
		const { stub } = await instance([path.target], { fenceSettleSeconds: 5 });
		await rounds(stub, 3);
		await path.set({ up: true });
		await rounds(stub, 4);
		const fifth = await stub.probeRound();
		expect(fifth.transition).toBe("fenced");
		// Nothing is PENDING in Postgres, yet the fence holds for its first 5 s.
		expect(await rounds(stub, 2)).toMatchObject({ phase: "fencing", outboxReady: false });
		await runInDurableObject(stub, (_, state) => {
			state.storage.sql.exec("UPDATE state SET fence_started = fence_started - 5000");
		});
		const done = await stub.probeRound();
		expect(done.transition).toBe("deactivated");
		expect(done.state).toMatchObject({ phase: "standby", outboxReady: true });
	});

	it("hands over after fenceMaxSeconds even if an order never leaves PENDING", async () => {
		const clientId = uid("C");
		const path = await healthPath({ up: true });
		const { stub } = await instance([path.target], { inFlightClientIds: [clientId], fenceMaxSeconds: 120 });
		await pendingOrder(clientId);
		await stub.setManual(true, "drill");
		expect(await stub.setManual(false, "drill over")).toMatchObject({ phase: "fencing" });
		expect(await rounds(stub, 2)).toMatchObject({ phase: "fencing" });

		// Move the fence's start two minutes back instead of waiting for it.
		await runInDurableObject(stub, (_instance, state) => {
			state.storage.sql.exec("UPDATE state SET fence_started = fence_started - 121000");
		});
		const done = await stub.probeRound();
		expect(done.state).toMatchObject({ phase: "standby", outboxReady: true });
		expect(done.state.reason).toContain("fence timed out");
	});

	it("goes back to active if the primary fails again during the fence", async () => {
		const clientId = uid("C");
		const path = await healthPath({ up: false });
		const { stub } = await instance([path.target], { inFlightClientIds: [clientId] });
		await rounds(stub, 3);
		await pendingOrder(clientId);
		await path.set({ up: true });
		expect(await rounds(stub, 5)).toMatchObject({ phase: "fencing" });
		await path.set({ up: false });
		expect(await rounds(stub, 3)).toMatchObject({ active: true, phase: "active", outboxReady: false });
	});
});

describe("probe loop", () => {
	it("the cron restarts a missing alarm loop, which probes and reschedules itself", async () => {
		const stub = env.FAILOVER.getByName("global");
		await stub.configure({ intervalSeconds: 600 });
		await runInDurableObject(stub, (_i, state) => state.storage.deleteAlarm());
		const before = (await stub.metrics()).roundsUp + (await stub.metrics()).roundsDown;

		await worker.scheduled(createScheduledController(), env, createExecutionContext());
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const after = await stub.metrics();
		expect(after.roundsUp + after.roundsDown).toBeGreaterThan(before);
		const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
		expect(next).not.toBeNull();
		expect((next as number) - Date.now()).toBeGreaterThan(500_000);
		await runInDurableObject(stub, (_i, state) => state.storage.deleteAlarm());
		await stub.configure({});
	});

	it("after a failed round the next one comes at the suspect interval, not the full one", async () => {
		const path = await healthPath({ up: false });
		const { stub } = await instance([path.target], { intervalSeconds: 600, suspectIntervalSeconds: 120 });
		await stub.ensureLoop();
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const next = (await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())) as number;
		expect(next - Date.now()).toBeGreaterThan(100_000);
		expect(next - Date.now()).toBeLessThanOrEqual(120_000);

		await path.set({ up: true });
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const calm = (await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())) as number;
		expect(calm - Date.now()).toBeGreaterThan(500_000);
		await runInDurableObject(stub, (_i, state) => state.storage.deleteAlarm());
	});
});
