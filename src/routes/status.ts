import { Hono } from "hono";
import { openDb, schema } from "../db/client";
import { max } from "drizzle-orm";
import { readFailover } from "../failover-state";
import type { AppEnv } from "../app-env";

/** Newest source time replication has applied; null when nothing is known (or Postgres is away). */
async function dataFreshness(env: Env, waitUntil: (p: Promise<unknown>) => void) {
	const { db, close } = openDb(env);
	try {
		const [row] = await db.select({ ts: max(schema.replicationCursor.sourceTsMs) }).from(schema.replicationCursor);
		const ts = row?.ts == null ? null : Number(row.ts);
		return ts == null
			? { asOf: null, lagSeconds: null }
			: { asOf: new Date(ts).toISOString(), lagSeconds: Math.max(0, Math.round((Date.now() - ts) / 1000)) };
	} catch (err) {
		console.warn(JSON.stringify({ event: "status.freshness_unavailable", message: String(err) }));
		return { asOf: null, lagSeconds: null };
	} finally {
		waitUntil(close());
	}
}

export const status = new Hono<AppEnv>().get("/", async (c) => {
	const [failover, data] = await Promise.all([readFailover(c.env), dataFreshness(c.env, (p) => c.executionCtx.waitUntil(p))]);
	return c.json({
		mode: failover.active ? ("active" as const) : ("standby" as const),
		failover: { active: failover.active, since: failover.since, reason: failover.reason, source: failover.source },
		data,
		failback: { phase: failover.phase, outboxReady: failover.outboxReady, outboxUpTo: failover.outboxUpTo },
	});
});
