// How many notices are where, for /ops/metrics and the ops overview.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";

export interface NoticeCounts {
	/** Every notice ever recorded (one per client and transition). */
	queued: number;
	/** Not handed to the gateway yet (waiting, or being sent). */
	pending: number;
	sent: number;
	/** Given up on (gateway refused, or every retry failed); ops can send them again. */
	failed: number;
}

export async function noticeCounts(db: Db): Promise<NoticeCounts> {
	const { rows } = await db.execute<{ status: string; n: number }>(sql`SELECT status, count(*)::int AS n FROM notices GROUP BY status`);
	const by = new Map(rows.map((r) => [r.status, Number(r.n)]));
	const n = (s: string) => by.get(s) ?? 0;
	return {
		queued: [...by.values()].reduce((a, b) => a + b, 0),
		pending: n("queued") + n("sending"),
		sent: n("sent"),
		failed: n("failed"),
	};
}
