import { failoverStub } from "./failover-state";

/**
 * Cron (every minute, the finest a cron fires): makes sure the failover probe loop (a Durable
 * Object alarm every PROBE_INTERVAL_SECONDS) is alive; a lost loop is restarted with a round at once.
 */
export async function scheduled(_controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
	await failoverStub(env).ensureLoop();
}
