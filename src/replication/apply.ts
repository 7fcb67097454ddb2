// Applies a validated batch of changes to Postgres in one transaction. Every statement is
// guarded by the row's source position, so a duplicate or an older change is skipped (and
// counted), and a tombstone keeps a deleted or truncated row from coming back.
import { type SQL, getTableColumns, inArray, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { type Db, schema } from "../db/client";
import { Problem } from "../http/problem";
import { type Change, keyField } from "./events";
import type { Target } from "./mapping";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface ApplyResult {
	applied: number;
	/** duplicates + tombstones. */
	skipped: number;
	/** Changes at or behind the row's (or its tombstone's) position: already applied or superseded. */
	duplicates: number;
	/** Null (Kafka tombstone) entries. */
	tombstones: number;
	/** Clients whose positions or pending orders changed: their Account refreshes. */
	refresh: string[];
	/** Clients whose row changed, with their status as committed: their Account learns it. */
	status: Record<string, "active" | "disabled">;
}

const tables = {
	clients: schema.clients,
	instruments: schema.instruments,
	positions: schema.positions,
	orders: schema.orders,
} as const;

/** The replicated rows of a target: for orders, only those from the primary, never the backup's own. */
const replicatedOnly = (target: Target): SQL => (target === "orders" ? sql` AND "orders"."origin" = 'primary'` : sql``);
/** What a changed row says about whom to tell: its client (instruments have none; holders are found later). */
const ownerColumn = (target: Target) => sql.identifier(target === "instruments" ? "id" : "client_id");

function column(target: Target, field: string): PgColumn {
	const col = (getTableColumns(tables[target]) as Record<string, PgColumn>)[field];
	if (!col) throw new Error(`mapping names unknown field ${target}.${field}`);
	return col;
}

async function upsert(tx: Tx, c: Extract<Change, { kind: "upsert" }>): Promise<string | null> {
	const table = tables[c.target];
	const lsn = c.lsn.toString();
	const fields = Object.entries(c.row).map(([field, value]) => ({ col: column(c.target, field), value }));
	if (c.target === "orders") fields.push({ col: schema.orders.origin, value: "primary" });
	const names = fields.map((f) => sql.identifier(f.col.name));
	const values = fields.map((f) => sql`${f.value ?? null}::${sql.raw(f.col.getSQLType())}`);
	const sets = fields
		.filter((f) => f.col.name !== "origin")
		.map((f) => sql`${sql.identifier(f.col.name)} = excluded.${sql.identifier(f.col.name)}`);
	const pk = sql.identifier(column(c.target, keyField[c.target]).name);
	const rows = await tx.execute<{ owner: string }>(sql`
		WITH revived AS (
			DELETE FROM replication_tombstones WHERE target = ${c.target} AND row_id = ${c.key} AND source_lsn < ${lsn}::bigint
		)
		INSERT INTO ${table} (${sql.join(names, sql`, `)}, source_lsn, updated_at)
		SELECT ${sql.join(values, sql`, `)}, ${lsn}::bigint, now()
		WHERE NOT EXISTS (
			SELECT 1 FROM replication_tombstones
			WHERE target = ${c.target} AND row_id IN (${c.key}, '*') AND source_lsn >= ${lsn}::bigint
		)
		ON CONFLICT (${pk}) DO UPDATE SET ${sql.join(sets, sql`, `)}, source_lsn = excluded.source_lsn, updated_at = now()
		WHERE ${table}.source_lsn < excluded.source_lsn${replicatedOnly(c.target)}
		RETURNING ${ownerColumn(c.target)} AS owner`);
	return rows.rows[0]?.owner ?? null;
}

async function remove(tx: Tx, c: Extract<Change, { kind: "delete" }>): Promise<{ applied: boolean; owner: string | null }> {
	const table = tables[c.target];
	const lsn = c.lsn.toString();
	const pk = sql.identifier(column(c.target, keyField[c.target]).name);
	const newer = sql`SELECT 1 FROM ${table} WHERE ${pk} = ${c.key} AND source_lsn >= ${lsn}::bigint`;
	const rows = await tx.execute<{ deleted: number; tombstoned: number; owner: string | null }>(sql`
		WITH gone AS (
			DELETE FROM ${table} WHERE ${pk} = ${c.key} AND source_lsn < ${lsn}::bigint${replicatedOnly(c.target)}
			RETURNING ${ownerColumn(c.target)} AS owner
		), tomb AS (
			INSERT INTO replication_tombstones (target, row_id, source_lsn)
			SELECT ${c.target}, ${c.key}, ${lsn}::bigint WHERE NOT EXISTS (${newer})
			ON CONFLICT (target, row_id) DO UPDATE SET source_lsn = excluded.source_lsn, deleted_at = now()
			WHERE replication_tombstones.source_lsn < excluded.source_lsn
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT count(*) FROM tomb)::int AS tombstoned,
			(SELECT owner FROM gone LIMIT 1) AS owner`);
	// A SELECT without FROM answers exactly one row.
	const r = rows.rows[0]!;
	return { applied: r.deleted > 0 || r.tombstoned > 0, owner: r.owner };
}

async function truncate(tx: Tx, c: Extract<Change, { kind: "truncate" }>): Promise<{ applied: boolean; owners: string[] }> {
	const table = tables[c.target];
	const lsn = c.lsn.toString();
	const tomb = await tx.execute(sql`
		INSERT INTO replication_tombstones (target, row_id, source_lsn) VALUES (${c.target}, '*', ${lsn}::bigint)
		ON CONFLICT (target, row_id) DO UPDATE SET source_lsn = excluded.source_lsn, deleted_at = now()
		WHERE replication_tombstones.source_lsn < excluded.source_lsn
		RETURNING 1`);
	if (tomb.rows.length === 0) return { applied: false, owners: [] };
	// Rows with source_lsn 0 never came through replication (seeds, manual loads): not the truncate's to clear.
	const gone = await tx.execute<{ owner: string }>(sql`
		DELETE FROM ${table} WHERE source_lsn > 0 AND source_lsn < ${lsn}::bigint${replicatedOnly(c.target)}
		RETURNING ${ownerColumn(c.target)} AS owner`);
	return { applied: true, owners: gone.rows.map((r) => r.owner) };
}

function pgCode(err: unknown): string | undefined {
	const e = err as { code?: unknown; cause?: { code?: unknown } };
	const code = e?.cause?.code ?? e?.code;
	return typeof code === "string" ? code : undefined;
}

/** Runs one change; a value Postgres refuses (class 22 data, 23 integrity) is the event's fault, named as such. */
async function guarded<T>(index: number, run: () => Promise<T>): Promise<T> {
	try {
		return await run();
	} catch (err) {
		const code = pgCode(err);
		if (code?.startsWith("22") || code?.startsWith("23")) {
			const message = (err as { cause?: Error }).cause?.message ?? String(err);
			throw new Problem(400, "INVALID_CHANGE_EVENT", `event ${index}: ${message}`, { event: index });
		}
		if (code === "40001" || code === "40P01") {
			throw new Problem(503, "REPLICATION_CONFLICT", "a concurrent batch touched the same rows; send this batch again");
		}
		throw err;
	}
}

export async function applyChanges(db: Db, changes: Change[]): Promise<ApplyResult> {
	const result: ApplyResult = { applied: 0, skipped: 0, duplicates: 0, tombstones: 0, refresh: [], status: {} };
	const refresh = new Set<string>();
	const clientsChanged = new Set<string>();
	const instrumentsChanged = new Set<string>();
	const cursors = new Map<string, { lsn: bigint; tsMs: number }>();
	const touched = (target: Target, owner: string) => {
		if (target === "clients") clientsChanged.add(owner);
		else if (target === "instruments") instrumentsChanged.add(owner);
		else refresh.add(owner);
	};

	await db.transaction(async (tx) => {
		for (const c of changes) {
			if (c.kind === "tombstone") {
				result.tombstones++;
				continue;
			}
			let applied: boolean;
			if (c.kind === "upsert") {
				const owner = await guarded(c.index, () => upsert(tx, c));
				applied = owner !== null;
				if (owner !== null) touched(c.target, owner);
			} else if (c.kind === "delete") {
				const r = await guarded(c.index, () => remove(tx, c));
				applied = r.applied;
				if (r.owner !== null) touched(c.target, r.owner);
			} else {
				const r = await guarded(c.index, () => truncate(tx, c));
				applied = r.applied;
				for (const owner of r.owners) touched(c.target, owner);
			}
			if (applied) result.applied++;
			else result.duplicates++;
			const cur = cursors.get(c.sourceName);
			cursors.set(c.sourceName, {
				lsn: cur && cur.lsn > c.lsn ? cur.lsn : c.lsn,
				tsMs: Math.max(cur?.tsMs ?? 0, c.sourceTsMs ?? 0),
			});
		}

		for (const [source, { lsn, tsMs }] of cursors) {
			await tx.execute(sql`
				INSERT INTO replication_cursor (source, lsn, source_ts_ms, updated_at) VALUES (${source}, ${lsn.toString()}::bigint, ${tsMs}, now())
				ON CONFLICT (source) DO UPDATE SET lsn = GREATEST(replication_cursor.lsn, excluded.lsn),
					source_ts_ms = GREATEST(replication_cursor.source_ts_ms, excluded.source_ts_ms), updated_at = now()`);
		}
		if (instrumentsChanged.size > 0) {
			const holders = await tx
				.selectDistinct({ clientId: schema.positions.clientId })
				.from(schema.positions)
				.where(sql`${inArray(schema.positions.instrumentId, [...instrumentsChanged])} AND ${schema.positions.netQty} <> 0`);
			for (const h of holders) refresh.add(h.clientId);
		}
		if (clientsChanged.size > 0) {
			const rows = await tx
				.select({ clientId: schema.clients.clientId, status: schema.clients.status })
				.from(schema.clients)
				.where(inArray(schema.clients.clientId, [...clientsChanged]));
			// A client deleted (or truncated away) on the primary may no longer trade here.
			for (const id of clientsChanged) result.status[id] = "disabled";
			for (const r of rows) result.status[r.clientId] = r.status;
		}
	});
	result.skipped = result.duplicates + result.tombstones;
	result.refresh = [...refresh];
	return result;
}

/**
 * Tombstones older than this go (housekeeping cron): a change from before a delete is only
 * redelivered when the connector replays from its last committed offset, minutes back, not days.
 */
export const TOMBSTONE_RETENTION_DAYS = 7;

/** Deletes the tombstones past their retention; how many went. */
export async function purgeTombstones(db: Db, retentionDays = TOMBSTONE_RETENTION_DAYS): Promise<number> {
	const gone = await db.execute(sql`
		DELETE FROM replication_tombstones WHERE deleted_at < now() - make_interval(days => ${retentionDays}::int)`);
	return gone.rowCount ?? 0;
}
