// The bench's instrument (src/observability/platform-calls.ts) and what it showed: records for
// Postgres leave an Account packed, not one queue message per order version. The whole suite
// runs with COUNT_PLATFORM_CALLS on (vitest.config.ts), so every test goes through the wrapper.
import { env } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../src/db/client";
import { auditEntry } from "../src/observability/audit";
import { countedEnv, type PlatformCall, platformCalls } from "../src/observability/platform-calls";
import { createClient } from "./fixtures";
import { query, setFailover } from "./helpers";
import { eventually, trader } from "./trading-helpers";

const since = (before: Readonly<Record<PlatformCall, number>>) => {
	const now = platformCalls();
	return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - before[k as PlatformCall]])) as Record<PlatformCall, number>;
};

describe("platform call counts", () => {
	it("counts each binding call by kind; with counting off, env is passed through as it is", async () => {
		const off = { COUNT_PLATFORM_CALLS: undefined } as unknown as Env;
		expect(countedEnv(off)).toBe(off);

		const counted = countedEnv(env);
		const before = platformCalls();
		await counted.FLAGS.get("no-such-key");
		const state = await counted.FAILOVER.getByName("global").state();
		expect(typeof state.active).toBe("boolean");
		await counted.RECORDS.sendBatch([
			{ body: { kind: "audit", entry: auditEntry("auth.logout", "client:CPC", "CPC") } },
			{ body: { kind: "audit", entry: auditEntry("auth.logout", "client:CPC", "CPC") } },
		]);
		expect(since(before)).toMatchObject({ kvReads: 1, doCalls: 1, failoverObjectCalls: 1, recordQueueMessages: 2, orderQueueMessages: 0 });
	});

	it("an exit's order versions and audit entries reach Postgres packed into a few records messages", async () => {
		await setFailover(true);
		const c = await createClient({
			positions: [
				{ instrument: { segment: "EQ" }, netQty: 30, product: "CNC" },
				{ instrument: { segment: "EQ" }, netQty: -20, product: "MIS" },
				{ instrument: { segment: "EQ" }, netQty: 10, product: "CNC" },
			],
		});
		const t = await trader(c.clientId);
		await t.positions();
		const before = platformCalls();
		const res = await t.post("/api/square-offs/all", {});
		expect(res.status).toBe(202);
		const ids = ((await res.json()) as { orders: { id: string }[] }).orders.map((o) => o.id);
		expect(ids).toHaveLength(3);
		// Each order's PENDING and SENT versions reach Postgres (events from the OMS are not posted in these tests).
		const rows = await eventually(async () => {
			const r = await query((db) => db.select().from(schema.orders).where(inArray(schema.orders.id, ids)));
			return r.length === ids.length && r.every((o) => o.status === "SENT") && r;
		}, "orders SENT in Postgres");
		const versions = rows.reduce((n, o) => n + o.version, 0);
		expect(versions).toBe(6);
		// One message per version (as before packing) would be 6 or more.
		const { recordQueueMessages } = since(before);
		expect(recordQueueMessages).toBeGreaterThan(0);
		expect(recordQueueMessages).toBeLessThanOrEqual(3);
	});
});
