import { failoverStub } from "./failover-state";

/** Cron (every minute): makes sure the failover probe loop is alive. Probing lands with issue 6. */
export async function scheduled(_controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
	await failoverStub(env).state();
}
