// The single source of truth for whether Lifeboat is taking orders. One instance ("global").
// KV holds a mirror for fast reads at the edge (src/failover-state.ts).
import { DurableObject } from "cloudflare:workers";
import type { FailoverState } from "../src/types";

export const FAILOVER_KV_KEY = "failover";

export class Failover extends DurableObject<Env> {
	private readonly sql: SqlStorage;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		ctx.blockConcurrencyWhile(async () => {
			this.sql.exec(`CREATE TABLE IF NOT EXISTS failover (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				active INTEGER NOT NULL,
				since TEXT,
				reason TEXT,
				source TEXT NOT NULL,
				version INTEGER NOT NULL
			)`);
			this.sql.exec(`INSERT OR IGNORE INTO failover VALUES (1, 0, NULL, NULL, 'auto', 0)`);
		});
	}

	state(): FailoverState {
		const row = this.sql
			.exec<{ active: number; since: string | null; reason: string | null; source: "auto" | "manual"; version: number }>(
				"SELECT active, since, reason, source, version FROM failover WHERE id = 1",
			)
			.one();
		return { active: row.active === 1, since: row.since, reason: row.reason, source: row.source, version: row.version };
	}

	/** Manual override from ops: holds until cleared. */
	async setManual(active: boolean, reason: string): Promise<FailoverState> {
		return this.transition(active, reason, "manual");
	}

	/** Back to automatic: the state stays as it is until the probes decide otherwise. */
	async clearManual(): Promise<FailoverState> {
		const s = this.state();
		return this.transition(s.active, s.reason ?? "manual override cleared", "auto");
	}

	private async transition(active: boolean, reason: string, source: "auto" | "manual"): Promise<FailoverState> {
		const before = this.state();
		const since = before.active === active && before.since ? before.since : new Date().toISOString();
		this.sql.exec(
			"UPDATE failover SET active = ?, since = ?, reason = ?, source = ?, version = version + 1 WHERE id = 1",
			active ? 1 : 0,
			since,
			reason,
			source,
		);
		const after = this.state();
		await this.env.FLAGS.put(FAILOVER_KV_KEY, JSON.stringify(after));
		return after;
	}
}
