import { withDb } from "./db/client";
import { failoverStub } from "./failover/state";
import { log } from "./observability/log";
import { purgeTombstones } from "./replication/apply";

/** The daily cron in wrangler.toml's [triggers]; the other one fires every minute. */
export const HOUSEKEEPING_CRON = "17 3 * * *";

/**
 * Every minute (the finest a cron fires): makes sure the failover probe loop (a Durable Object
 * alarm every PROBE_INTERVAL_SECONDS) is alive; a lost loop is restarted with a round at once.
 * Daily: replication tombstones past their retention are purged.
 */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
	if (controller.cron === HOUSEKEEPING_CRON) {
		const purged = await withDb(env, "housekeeping", (db) => purgeTombstones(db));
		log("housekeeping.tombstones_purged", { purged });
		return;
	}
	await failoverStub(env).ensureLoop();
}
