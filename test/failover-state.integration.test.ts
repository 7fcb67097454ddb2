// readFailover (the one way the Worker reads the failover state) against a missing, unreadable,
// stale or newer KV copy, and what /api/status reports from it.
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { FAILOVER_KV_KEY } from "../src/failover/state";
import { openDb } from "../src/db/client";
import { failoverStub, readFailover } from "../src/failover/state";
import { platformCalls } from "../src/observability/platform-calls";
import { uid } from "./fixtures";
import { call, setFailover } from "./helpers";

describe("readFailover", () => {
	it("answers from the Durable Object when the KV copy is missing", async () => {
		await setFailover(true, "kv missing");
		await env.FLAGS.delete(FAILOVER_KV_KEY);
		expect(await readFailover(env)).toMatchObject({ active: true, reason: "kv missing" });
		const status = (await (await call("/api/status")).json()) as { mode: string };
		expect(status.mode).toBe("active");
	});

	it("answers from the Durable Object when the KV copy is unreadable or of an old shape", async () => {
		await setFailover(true, "kv garbage");
		await env.FLAGS.put(FAILOVER_KV_KEY, "{not json");
		expect(await readFailover(env)).toMatchObject({ active: true, reason: "kv garbage" });
		await env.FLAGS.put(FAILOVER_KV_KEY, JSON.stringify({ active: false }));
		expect(await readFailover(env)).toMatchObject({ active: true, reason: "kv garbage" });
		// A copy written before the OMS's reachability was part of the state, however new its version.
		const truth = await failoverStub(env).state();
		const { oms: _, ...withoutOms } = { ...truth, active: false, reason: "no oms block", version: truth.version + 5 };
		await env.FLAGS.put(FAILOVER_KV_KEY, JSON.stringify(withoutOms));
		expect(await readFailover(env)).toMatchObject({ active: true, reason: "kv garbage", oms: { reachable: true } });
	});

	it("ignores a KV copy older than a version this isolate has seen, and uses a current one", async () => {
		await setFailover(true, "fresh");
		const truth = await readFailover(env, { consistent: true });
		expect(truth).toMatchObject({ active: true });

		const stale = { ...truth, active: false, phase: "standby", reason: "stale", version: truth.version - 1 };
		await env.FLAGS.put(FAILOVER_KV_KEY, JSON.stringify(stale));
		expect(await readFailover(env)).toMatchObject({ active: true, reason: "fresh", version: truth.version });

		// A copy at least as new as anything seen is used as it is: KV is the fast path.
		const newer = { ...truth, reason: "from kv", version: truth.version + 1 };
		await env.FLAGS.put(FAILOVER_KV_KEY, JSON.stringify(newer));
		expect(await readFailover(env)).toMatchObject({ reason: "from kv" });
		expect(await readFailover(env, { consistent: true })).toMatchObject({ reason: "fresh" });
	});

	it("the Durable Object writes every change to KV", async () => {
		await setFailover(false, "mirror check");
		const kv = await env.FLAGS.get<{ version: number; reason: string }>(FAILOVER_KV_KEY, "json");
		expect(kv).toEqual(await failoverStub(env).state());
	});
});

describe("failover read copies", () => {
	it("callers of one copy at once share a single call to the Failover object, and learn when it was asked", async () => {
		await setFailover(true, "copies");
		const truth = await failoverStub(env).state();
		const copy = env.FAILOVER_READS.getByName(uid("copy-"));
		const before = platformCalls().failoverObjectCalls;
		const startedAt = Date.now();
		const answers = await Promise.all(Array.from({ length: 20 }, () => copy.state()));
		expect(platformCalls().failoverObjectCalls - before).toBe(1);
		for (const a of answers) {
			expect(a.state).toEqual(truth);
			expect(a.askedAt).toBe(answers[0]?.askedAt);
			expect(a.askedAt).toBeGreaterThanOrEqual(startedAt);
		}
	});
});

describe("/api/status", () => {
	it("reports mode standby and the failback block while fencing, and the outbox ready once the fence is done", async () => {
		const clientId = uid("C");
		const orderId = uid("O");
		const { db, close } = openDb(env);
		try {
			await db.execute(sql`INSERT INTO orders (id, client_id, origin, exchange, symbol, side, quantity, order_type, product, status)
				VALUES (${orderId}, ${clientId}, 'backup', 'NSE', 'TEST', 'SELL', 1, 'MARKET', 'MIS', 'PENDING')`);
			await failoverStub(env).configure({ inFlightClientIds: [clientId], fenceSettleSeconds: 0 });
			await setFailover(true, "drill");
			await setFailover(false, "drill over");
			const fencing = (await (await call("/api/status")).json()) as Record<string, unknown>;
			expect(fencing).toMatchObject({ mode: "standby", failover: { active: false }, failback: { phase: "fencing", outboxReady: false } });

			await db.execute(sql`UPDATE orders SET status = 'SENT' WHERE id = ${orderId}`);
			await failoverStub(env).probeRound();
			const done = (await (await call("/api/status")).json()) as { failback: { phase: string; outboxReady: boolean } };
			expect(done.failback).toMatchObject({ phase: "standby", outboxReady: true });
		} finally {
			await failoverStub(env).configure({});
			await close();
		}
	});
});
