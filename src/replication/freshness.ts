// How fresh the replicated data is: the newest source time replication has applied. Served in
// /api/status, the positions answer and the metrics; past STALE_AFTER_SECONDS the UI warns.
import { max } from "drizzle-orm";
import { schema, withDb } from "../db/client";
import { log } from "../observability/log";

export interface DataFreshness {
	asOf: string | null;
	lagSeconds: number | null;
	staleAfterSeconds: number;
	/** True past the threshold, and when nothing is known at all. */
	stale: boolean;
}

const DEFAULT_STALE_AFTER_SECONDS = 120;

export function staleAfterSeconds(env: Pick<Env, "STALE_AFTER_SECONDS">): number {
	const n = Number(env.STALE_AFTER_SECONDS);
	return Number.isFinite(n) && n > 0 ? n : DEFAULT_STALE_AFTER_SECONDS;
}

export function describeFreshness(newestSourceTsMs: number | null, nowMs: number, staleAfter: number): DataFreshness {
	if (newestSourceTsMs == null || newestSourceTsMs <= 0)
		return { asOf: null, lagSeconds: null, staleAfterSeconds: staleAfter, stale: true };
	const lagSeconds = Math.max(0, Math.round((nowMs - newestSourceTsMs) / 1000));
	return { asOf: new Date(newestSourceTsMs).toISOString(), lagSeconds, staleAfterSeconds: staleAfter, stale: lagSeconds > staleAfter };
}

/**
 * Every trader's screen polls /api/status, so an isolate reads the cursor at most once per
 * FRESHNESS_CACHE_MS and answers from the last reading in between (a surge of traders must
 * not become a surge of Postgres connections). Against a 120 s staleness threshold, 5 s is noise.
 */
const FRESHNESS_CACHE_MS = 5000;
let lastReading: { atMs: number; databaseUrl: string; newest: number | null } | null = null;

/** Reads the replication cursor; Postgres being away is reported as "unknown", never an error. */
export async function dataFreshness(
	env: Pick<Env, "NEON_WS_PROXY" | "DATABASE_URL" | "STALE_AFTER_SECONDS">,
	waitUntil: (p: Promise<unknown>) => void,
): Promise<DataFreshness> {
	if (!lastReading || lastReading.databaseUrl !== env.DATABASE_URL || Date.now() - lastReading.atMs > FRESHNESS_CACHE_MS) {
		lastReading = { atMs: Date.now(), databaseUrl: env.DATABASE_URL, newest: await newestSourceTs(env, waitUntil) };
	}
	return describeFreshness(lastReading.newest, Date.now(), staleAfterSeconds(env));
}

async function newestSourceTs(env: Pick<Env, "NEON_WS_PROXY" | "DATABASE_URL">, waitUntil: (p: Promise<unknown>) => void) {
	try {
		const [row] = await withDb(
			env,
			"freshness",
			(db) => db.select({ ts: max(schema.replicationCursor.sourceTsMs) }).from(schema.replicationCursor),
			waitUntil,
		);
		return row?.ts == null ? null : Number(row.ts);
	} catch (err) {
		log("freshness.unavailable", { message: String(err) }, "warn");
		return null;
	}
}

/** Prometheus lines for /ops/metrics. */
export function freshnessMetrics(f: DataFreshness): string {
	return [
		"# HELP lifeboat_replication_lag_seconds Seconds since the newest source change replication applied (-1: unknown).",
		"# TYPE lifeboat_replication_lag_seconds gauge",
		`lifeboat_replication_lag_seconds ${f.lagSeconds ?? -1}`,
		"# HELP lifeboat_replication_stale 1 when the replicated data is older than STALE_AFTER_SECONDS or unknown.",
		"# TYPE lifeboat_replication_stale gauge",
		`lifeboat_replication_stale ${f.stale ? 1 : 0}`,
		"",
	].join("\n");
}
