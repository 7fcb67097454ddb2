// What the failback fence asks Postgres: is any order the backup accepted still PENDING, and how
// far the outbox goes (the primary takes it from there).
import { and, sql as dsql, eq, inArray, max } from "drizzle-orm";
import { schema, withDb } from "../../src/db/client";
import { log } from "../../src/observability/log";

/** Backup orders still PENDING, and the newest outbox seq; nulls when Postgres cannot say. */
export async function inFlight(
	env: Env,
	instance: string,
	clientIds: string[] | null,
	waitUntil: (p: Promise<unknown>) => void,
): Promise<{ pending: number | null; outboxUpTo: number | null }> {
	const o = schema.orders;
	const scope = clientIds ? inArray(o.clientId, clientIds) : dsql`true`;
	try {
		return await withDb(
			env,
			"failover-fence",
			async (db) => {
				const [pending] = await db
					.select({ n: dsql<number>`count(*)::int` })
					.from(o)
					.where(and(eq(o.origin, "backup"), eq(o.status, "PENDING"), scope));
				const [outbox] = await db.select({ seq: max(schema.outbox.seq) }).from(schema.outbox);
				return { pending: pending?.n ?? 0, outboxUpTo: outbox?.seq ?? null };
			},
			waitUntil,
		);
	} catch (err) {
		log("failover.fence_check_failed", { instance, message: String(err) }, "warn");
		return { pending: null, outboxUpTo: null };
	}
}
