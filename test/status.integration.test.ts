import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDb } from "../src/db/client";
import { call, eventually, expectProblem, opsHeaders, statementsRunBy } from "./helpers";

describe("public endpoints", () => {
	it("GET /ops/health answers 200 ok, with the state of each component", async () => {
		const res = await call("/ops/health");
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({
			ok: true,
			components: { failover: { ok: true }, postgres: { ok: true }, oms: { reachable: true } },
		});
	});

	it("GET /api/status reports standby by default, with the failover block and data freshness", async () => {
		const res = await call("/api/status");
		expect(res.status).toBe(200);
		const body = (await res.json()) as Record<string, unknown>;
		expect(body).toMatchObject({
			mode: "standby",
			failover: { active: false, source: "auto" },
		});
		expect(body.data).toMatchObject({ staleAfterSeconds: Number(env.STALE_AFTER_SECONDS) });
		expect(body.primaryUrl).toBe(env.PRIMARY_ORIGIN);
		expect(body.oms).toEqual({ reachable: true, since: null });
		expect(body.data).toHaveProperty("asOf");
		expect(body.data).toHaveProperty("lagSeconds");
	});

	it("reflects a manual failover and its clearing", async () => {
		const on = await call("/ops/failover", {
			method: "POST",
			headers: opsHeaders,
			body: JSON.stringify({ active: true, reason: "drill" }),
		});
		expect(on.status).toBe(200);
		const status = (await (await call("/api/status")).json()) as {
			mode: string;
			failover: { source: string; reason: string; since: string };
		};
		expect(status.mode).toBe("active");
		// The public reason is generic; ops' own words stay behind /ops (http-hardening test).
		expect(status.failover).toMatchObject({ source: "manual", reason: "Switched on by the broker's operations team." });
		expect(Date.parse(status.failover.since)).not.toBeNaN();

		const off = await call("/ops/failover", { method: "DELETE", headers: opsHeaders });
		expect(off.status).toBe(200);
		const after = (await (await call("/api/status")).json()) as { failover: { source: string } };
		expect(after.failover.source).toBe("auto");
	});

	it("refuses ops calls without the token, and bad bodies, as problem+json", async () => {
		await expectProblem(await call("/ops/failover", { method: "POST", body: "{}" }), 401, "UNAUTHENTICATED");
		await expectProblem(await call("/ops/failover", { method: "POST", headers: opsHeaders, body: "{not json" }), 400, "MALFORMED_REQUEST");
		await expectProblem(
			await call("/ops/failover", { method: "POST", headers: opsHeaders, body: JSON.stringify({ active: "yes" }) }),
			400,
			"INVALID_BODY",
		);
	});

	it("answers unknown paths with a 404 problem", async () => {
		await expectProblem(await call("/api/nope"), 404, "NOT_FOUND");
	});

	it("answers ten status polls within a second with at most one Postgres read", async () => {
		const before = await statementsRunBy("freshness");
		const started = Date.now();
		for (let i = 0; i < 10; i++) expect((await call("/api/status")).status).toBe(200);
		expect(Date.now() - started).toBeLessThan(5000); // the cache lasts 5 s: at most one reading falls due
		expect((await statementsRunBy("freshness")) - before).toBeLessThanOrEqual(1);
	});

	it("reports data freshness from the replication cursor in Postgres", async () => {
		const appliedTs = Date.now() - 42_000;
		const { db, close } = openDb(env);
		try {
			await db.execute(sql`INSERT INTO replication_cursor (source, lsn, source_ts_ms) VALUES ('status-test', 1, ${appliedTs})
				ON CONFLICT (source) DO UPDATE SET source_ts_ms = excluded.source_ts_ms`);
			// An isolate reads the cursor at most every 5 s, so the new one shows within that.
			const body = await eventually(
				async () => {
					const b = (await (await call("/api/status")).json()) as { data: { asOf: string; lagSeconds: number } };
					return b.data.asOf === new Date(appliedTs).toISOString() && b;
				},
				"the new cursor in /api/status",
				10_000,
			);
			expect(body.data.lagSeconds).toBeGreaterThanOrEqual(42);
			expect(body.data.lagSeconds).toBeLessThan(60);
		} finally {
			await db.execute(sql`DELETE FROM replication_cursor WHERE source = 'status-test'`);
			await close();
		}
	});
});
