// GET /ops/overview: the whole site at a glance for the ops console. The Failover object gives
// the state, the last hour of probes and of replication lag samples; Postgres gives the orders
// (by status, the ones that need ops) and the dead letters. Postgres being away is reported
// (`db.up: false`, its parts null), never an error: that is when ops need the rest most.
import { type NoticeCounts, noticeCounts } from "../notices/counts";
import { sql } from "drizzle-orm";
import { withDb } from "../db/client";
import { log } from "../observability/log";
import { dataFreshness, type DataFreshness } from "../replication/freshness";
import {
	type FailoverHistory,
	type FailoverState,
	OPEN_STATUSES,
	ORDER_STATUSES,
	type OmsMetrics,
	type OrderStatus,
	OUTCOME_UNKNOWN_REASON,
} from "../contract";

/** At most this many orders needing ops are listed (the count says how many there are). */
export const NEEDS_OPS_LIMIT = 100;

export interface OrderNeedingOps {
	id: string;
	clientId: string;
	symbol: string;
	side: string;
	quantity: number;
	status: OrderStatus;
	/** "failed": FAILED, needs ops; "unknown": the OMS may hold it, being asked. */
	problem: "failed" | "unknown";
	reason: string | null;
	createdAt: string;
	updatedAt: string;
	/** Seconds since the order was accepted. */
	ageSeconds: number;
}

export interface Overview {
	at: string;
	/** Who is asking: the Access e-mail, or "ops-token". */
	operator: string;
	failover: Pick<FailoverState, "active" | "phase" | "since" | "source" | "reason" | "version" | "outboxReady">;
	probes: FailoverHistory["probes"];
	oms: Pick<OmsMetrics, "reachable" | "since" | "url" | "consecutiveFail" | "lastProbe">;
	replication: DataFreshness & { history: FailoverHistory["lag"] };
	db: { up: boolean };
	orders: { byStatus: Record<OrderStatus, number>; total: number } | null;
	failedOrders: OrderNeedingOps[] | null;
	/** How many orders need ops in all (failedOrders lists the newest NEEDS_OPS_LIMIT). */
	failedOrdersTotal: number | null;
	/** Orders that ended FAILED from the dead-letter queue or expiry (audit "order.failed"), in all and in the last hour. */
	deadLetters: { total: number; lastHour: number } | null;
	/** Notices to clients of activations and failbacks (src/notices): null while Postgres is away. */
	notices: NoticeCounts | null;
}

interface DbPart {
	orders: NonNullable<Overview["orders"]>;
	failedOrders: OrderNeedingOps[];
	failedOrdersTotal: number;
	deadLetters: NonNullable<Overview["deadLetters"]>;
	notices: NoticeCounts;
}

const statusList = sql.join(
	OPEN_STATUSES.map((s) => sql`${s}`),
	sql`, `,
);

async function dbPart(env: Env, waitUntil: (p: Promise<unknown>) => void): Promise<DbPart | null> {
	const needsOps = sql`origin = 'backup' AND (status = 'FAILED' OR (status IN (${statusList}) AND reason = ${OUTCOME_UNKNOWN_REASON}))`;
	try {
		const [byStatus, listed, counted, dead, notices] = await withDb(
			env,
			"ops-overview",
			(db) =>
				Promise.all([
					db.execute<{ status: OrderStatus; n: number }>(
						sql`SELECT status, count(*)::int AS n FROM orders WHERE origin = 'backup' GROUP BY status`,
					),
					db.execute<{
						id: string;
						client_id: string;
						symbol: string;
						side: string;
						quantity: number;
						status: OrderStatus;
						reason: string | null;
						created_at: string;
						updated_at: string;
					}>(
						sql`SELECT id, client_id, symbol, side, quantity, status, reason, created_at::text, updated_at::text FROM orders
							WHERE ${needsOps} ORDER BY updated_at DESC LIMIT ${NEEDS_OPS_LIMIT}`,
					),
					db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM orders WHERE ${needsOps}`),
					db.execute<{ total: number; last_hour: number }>(
						sql`SELECT count(*)::int AS total, (count(*) FILTER (WHERE at > now() - interval '1 hour'))::int AS last_hour
							FROM audit_log WHERE action = 'order.failed'`,
					),
					noticeCounts(db),
				]),
			waitUntil,
		);
		const counts = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as Record<OrderStatus, number>;
		for (const r of byStatus.rows) counts[r.status] = Number(r.n);
		const now = Date.now();
		return {
			orders: { byStatus: counts, total: Object.values(counts).reduce((a, b) => a + b, 0) },
			failedOrders: listed.rows.map((r) => {
				const createdAt = new Date(r.created_at).toISOString();
				return {
					id: r.id,
					clientId: r.client_id,
					symbol: r.symbol,
					side: r.side,
					quantity: Number(r.quantity),
					status: r.status,
					problem: r.status === "FAILED" ? "failed" : "unknown",
					reason: r.reason,
					createdAt,
					updatedAt: new Date(r.updated_at).toISOString(),
					ageSeconds: Math.max(0, Math.round((now - Date.parse(createdAt)) / 1000)),
				};
			}),
			failedOrdersTotal: Number(counted.rows[0]?.n ?? 0),
			deadLetters: { total: Number(dead.rows[0]?.total ?? 0), lastHour: Number(dead.rows[0]?.last_hour ?? 0) },
			notices,
		};
	} catch (err) {
		log("ops.overview_db_unavailable", { message: String(err) }, "warn");
		return null;
	}
}

export async function overview(
	env: Env,
	history: FailoverHistory,
	operator: string,
	waitUntil: (p: Promise<unknown>) => void,
): Promise<Overview> {
	const [db, freshness] = await Promise.all([dbPart(env, waitUntil), dataFreshness(env, waitUntil)]);
	const { state, oms } = history.metrics;
	return {
		at: new Date().toISOString(),
		operator,
		failover: {
			active: state.active,
			phase: state.phase,
			since: state.since,
			source: state.source,
			reason: state.reason,
			version: state.version,
			outboxReady: state.outboxReady,
		},
		probes: history.probes,
		oms: { reachable: oms.reachable, since: oms.since, url: oms.url, consecutiveFail: oms.consecutiveFail, lastProbe: oms.lastProbe },
		replication: { ...freshness, history: history.lag },
		db: { up: db !== null },
		orders: db?.orders ?? null,
		failedOrders: db?.failedOrders ?? null,
		failedOrdersTotal: db?.failedOrdersTotal ?? null,
		deadLetters: db?.deadLetters ?? null,
		notices: db?.notices ?? null,
	};
}
