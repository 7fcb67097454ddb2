// GET /ops/health: whether this site can serve (`ok`, what load balancers look at) and the state
// of each component it depends on. The endpoint is public, so it names states, never addresses
// or error messages (those are on /ops/metrics and in the logs).
import { sql } from "drizzle-orm";
import { type ConfigProblem, configProblems, type GuardedEnv } from "../config/guard";
import { withDb } from "../db/client";
import type { FailoverPhase, FailoverState, OmsReachability } from "../contract";
import { log } from "./log";

export interface PostgresHealth {
	ok: boolean;
	/** Round trip of `SELECT 1`, when it answered. */
	ms?: number;
}

export interface HealthReport {
	ok: true;
	components: {
		failover: { ok: true; active: boolean; phase: FailoverPhase; source: "auto" | "manual"; since: string | null };
		postgres: PostgresHealth;
		oms: OmsReachability;
		/** The config guard (src/config/guard.ts): which settings keep a deployed Lifeboat from going active. */
		config: { ok: boolean; problems: ConfigProblem[] };
	};
}

/** Load balancers poll every few seconds from many places: an isolate asks Postgres at most this often. */
const POSTGRES_CHECK_CACHE_MS = 5000;
const POSTGRES_CHECK_TIMEOUT_MS = 2000;
const lastChecks = new Map<string, { atMs: number; result: PostgresHealth }>();

export async function postgresHealth(
	env: Pick<Env, "NEON_WS_PROXY" | "DATABASE_URL">,
	waitUntil: (p: Promise<unknown>) => void,
): Promise<PostgresHealth> {
	const key = `${env.DATABASE_URL}|${env.NEON_WS_PROXY}`;
	const last = lastChecks.get(key);
	if (last && Date.now() - last.atMs < POSTGRES_CHECK_CACHE_MS) return last.result;
	const started = Date.now();
	let result: PostgresHealth;
	try {
		const query = withDb(env, "health", (db) => db.execute(sql`SELECT 1`), waitUntil);
		const timeout = scheduler.wait(POSTGRES_CHECK_TIMEOUT_MS).then(() => {
			throw new Error(`no answer within ${POSTGRES_CHECK_TIMEOUT_MS} ms`);
		});
		// A query still running after the timeout ends on its own (the pool closes through waitUntil).
		query.catch(() => undefined);
		await Promise.race([query, timeout]);
		result = { ok: true, ms: Date.now() - started };
	} catch (err) {
		log("health.postgres_unavailable", { message: String(err) }, "warn");
		result = { ok: false };
	}
	lastChecks.set(key, { atMs: Date.now(), result });
	return result;
}

export async function healthReport(
	env: GuardedEnv,
	failover: FailoverState,
	waitUntil: (p: Promise<unknown>) => void,
): Promise<HealthReport> {
	const problems = configProblems(env);
	return {
		ok: true,
		components: {
			failover: { ok: true, active: failover.active, phase: failover.phase, source: failover.source, since: failover.since },
			postgres: await postgresHealth(env, waitUntil),
			oms: { reachable: failover.oms.reachable, since: failover.oms.since },
			config: { ok: problems.length === 0, problems },
		},
	};
}
