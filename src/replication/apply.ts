// Applies a validated batch of changes to Postgres in one transaction, in a few set-based
// statements per table. Every row is guarded by its source position, so a duplicate or an older
// change is skipped (and counted), and a tombstone keeps a deleted or truncated row from coming back.
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
	/** Clients whose positions or pending orders changed and whose Account holds a copy of them: it refreshes. */
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
const keyColumn = (target: Target) => column(target, keyField[target]);

function column(target: Target, field: string): PgColumn {
	const col = (getTableColumns(tables[target]) as Record<string, PgColumn>)[field];
	if (!col) throw new Error(`mapping names unknown field ${target}.${field}`);
	return col;
}

type Upsert = Extract<Change, { kind: "upsert" }>;
type Delete = Extract<Change, { kind: "delete" }>;
type Truncate = Extract<Change, { kind: "truncate" }>;
/** Rows a statement reports: the key of each change that took effect, and whose row it was. */
type Done = { key: string; owner: string | null }[];

/** The rows of one statement as a single jsonb parameter, read back typed with jsonb_to_recordset. */
function input(rows: Record<string, unknown>[], columns: { name: string; type: string }[]): SQL {
	const defs = columns.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.type)}`);
	return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS input(${sql.join(defs, sql`, `)})`;
}

/**
 * Upserts changes of one target that carry the same fields (fields a change leaves out keep the
 * row's value), one row per key. A row is written only past its own position and its
 * tombstones' (the row's, or the table's from a truncate); a newer create removes an older tombstone.
 */
async function upsertRows(tx: Tx, target: Target, changes: Upsert[]): Promise<Done> {
	const table = tables[target];
	const fields = Object.keys(changes[0]!.row).map((f) => column(target, f));
	if (target === "orders") fields.push(schema.orders.origin);
	const rows = changes.map((c) => {
		const row: Record<string, unknown> = { source_lsn: c.lsn.toString() };
		for (const [field, value] of Object.entries(c.row)) row[column(target, field).name] = value ?? null;
		if (target === "orders") row.origin = "primary";
		return row;
	});
	const names = fields.map((f) => sql.identifier(f.name));
	const sets = fields.filter((f) => f.name !== "origin").map((f) => sql`${sql.identifier(f.name)} = excluded.${sql.identifier(f.name)}`);
	const pk = sql.identifier(keyColumn(target).name);
	const source = input(rows, [...fields.map((f) => ({ name: f.name, type: f.getSQLType() })), { name: "source_lsn", type: "bigint" }]);
	const done = await tx.execute<{ key: string; owner: string }>(sql`
		WITH input AS (SELECT * FROM ${source}),
		revived AS (
			DELETE FROM replication_tombstones t USING input
			WHERE t.target = ${target} AND t.row_id = input.${pk} AND t.source_lsn < input.source_lsn
		)
		INSERT INTO ${table} (${sql.join(names, sql`, `)}, source_lsn, updated_at)
		SELECT ${sql.join(names, sql`, `)}, source_lsn, now() FROM input
		WHERE NOT EXISTS (
			SELECT 1 FROM replication_tombstones t
			WHERE t.target = ${target} AND t.row_id IN (input.${pk}, '*') AND t.source_lsn >= input.source_lsn
		)
		ON CONFLICT (${pk}) DO UPDATE SET ${sql.join(sets, sql`, `)}, source_lsn = excluded.source_lsn, updated_at = now()
		WHERE ${table}.source_lsn < excluded.source_lsn${replicatedOnly(target)}
		RETURNING ${pk} AS key, ${ownerColumn(target)} AS owner`);
	return done.rows;
}

/** Deletes rows behind the deletes' positions and leaves a tombstone at each (unless the row is already newer). */
async function removeRows(tx: Tx, target: Target, changes: Delete[]): Promise<Done> {
	const table = tables[target];
	const pk = sql.identifier(keyColumn(target).name);
	const source = input(
		changes.map((c) => ({ key: c.key, source_lsn: c.lsn.toString() })),
		[
			{ name: "key", type: "text" },
			{ name: "source_lsn", type: "bigint" },
		],
	);
	const done = await tx.execute<{ key: string; owner: string | null }>(sql`
		WITH input AS (SELECT * FROM ${source}),
		gone AS (
			DELETE FROM ${table} USING input
			WHERE ${table}.${pk} = input.key AND ${table}.source_lsn < input.source_lsn${replicatedOnly(target)}
			RETURNING ${table}.${pk} AS key, ${table}.${ownerColumn(target)} AS owner
		), tomb AS (
			INSERT INTO replication_tombstones (target, row_id, source_lsn)
			SELECT ${target}, input.key, input.source_lsn FROM input
			WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE ${table}.${pk} = input.key AND ${table}.source_lsn >= input.source_lsn)
			ON CONFLICT (target, row_id) DO UPDATE SET source_lsn = excluded.source_lsn, deleted_at = now()
			WHERE replication_tombstones.source_lsn < excluded.source_lsn
			RETURNING row_id AS key
		)
		SELECT input.key, gone.owner FROM input
		LEFT JOIN gone ON gone.key = input.key
		WHERE gone.key IS NOT NULL OR input.key IN (SELECT key FROM tomb)`);
	return done.rows;
}

async function truncate(tx: Tx, c: Truncate): Promise<{ applied: boolean; owners: string[] }> {
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

/** Postgres refused a value (class 22 data, 23 integrity): the event's fault, not ours. */
const refusedValue = (err: unknown) => /^2[23]/.test(pgCode(err) ?? "");

/** Two batches touched the same rows at once: the sender sends this one again. */
function conflict(err: unknown): unknown {
	const code = pgCode(err);
	if (code === "40001" || code === "40P01") {
		return new Problem(503, "REPLICATION_CONFLICT", "a concurrent batch touched the same rows; send this batch again");
	}
	return err;
}

/** What applying a batch has found so far. */
class Tally {
	applied = 0;
	duplicates = 0;
	readonly refresh = new Set<string>();
	readonly clients = new Set<string>();
	readonly instruments = new Set<string>();

	touched(target: Target, owner: string) {
		if (target === "clients") this.clients.add(owner);
		else if (target === "instruments") this.instruments.add(owner);
		else this.refresh.add(owner);
	}
}

function addTo<K, V>(groups: Map<K, V[]>, key: K, value: V) {
	const list = groups.get(key);
	if (list) list.push(value);
	else groups.set(key, [value]);
}

/**
 * Applies changes in a few statements: the changes between truncates are cut down to the newest
 * per row (a change a newer one in the batch supersedes counts as a duplicate), then per target
 * one delete statement and one upsert statement per set of fields. Deletes go first, so a row
 * deleted and another created with its unique values in one batch do not collide.
 */
async function applySet(tx: Tx, changes: Change[], tally: Tally): Promise<void> {
	let newest = new Map<string, Upsert | Delete>();
	const flush = async () => {
		const deletes = new Map<Target, Delete[]>();
		const upserts = new Map<string, Upsert[]>();
		for (const c of newest.values()) {
			if (c.kind === "delete") addTo(deletes, c.target, c);
			else addTo(upserts, `${c.target}:${Object.keys(c.row).sort().join(",")}`, c);
		}
		const statements = [
			...[...deletes].map(([target, list]) => ({ target, list, run: () => removeRows(tx, target, list) })),
			...[...upserts.values()].map((list) => ({ target: list[0]!.target, list, run: () => upsertRows(tx, list[0]!.target, list) })),
		];
		for (const { target, list, run } of statements) {
			const done = await run();
			tally.applied += done.length;
			tally.duplicates += list.length - done.length;
			for (const d of done) if (d.owner !== null) tally.touched(target, d.owner);
		}
		newest = new Map();
	};
	for (const c of changes) {
		if (c.kind === "tombstone") continue;
		if (c.kind === "truncate") {
			await flush();
			const r = await truncate(tx, c);
			if (r.applied) tally.applied++;
			else tally.duplicates++;
			for (const owner of r.owners) tally.touched(c.target, owner);
			continue;
		}
		const id = `${c.target}\u0000${c.key}`;
		const seen = newest.get(id);
		if (seen && seen.lsn >= c.lsn) {
			tally.duplicates++;
			continue;
		}
		if (seen) tally.duplicates++;
		newest.set(id, c);
	}
	await flush();
}

/** The cursor per source, whom to tell about instruments and clients; the result. */
async function finish(tx: Tx, changes: Change[], tally: Tally): Promise<ApplyResult> {
	const cursors = new Map<string, { lsn: bigint; tsMs: number }>();
	let tombstones = 0;
	for (const c of changes) {
		if (c.kind === "tombstone") {
			tombstones++;
			continue;
		}
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
	if (tally.instruments.size > 0) {
		const holders = await tx
			.selectDistinct({ clientId: schema.positions.clientId })
			.from(schema.positions)
			.where(sql`${inArray(schema.positions.instrumentId, [...tally.instruments])} AND ${schema.positions.netQty} <> 0`);
		for (const h of holders) tally.refresh.add(h.clientId);
	}
	const status: ApplyResult["status"] = {};
	if (tally.clients.size > 0) {
		const rows = await tx
			.select({ clientId: schema.clients.clientId, status: schema.clients.status })
			.from(schema.clients)
			.where(inArray(schema.clients.clientId, [...tally.clients]));
		// A client deleted (or truncated away) on the primary may no longer trade here.
		for (const id of tally.clients) status[id] = "disabled";
		for (const r of rows) status[r.clientId] = r.status;
	}
	return {
		applied: tally.applied,
		skipped: tally.duplicates + tombstones,
		duplicates: tally.duplicates,
		tombstones,
		refresh: [...tally.refresh],
		status,
	};
}

/** Applies a batch (see applyInTransaction); whom to tell is decided after the commit. */
export async function applyChanges(db: Db, changes: Change[]): Promise<ApplyResult> {
	const result = await applyInTransaction(db, changes);
	return { ...result, refresh: await listening(db, result.refresh) };
}

/**
 * The clients among `clientIds` whose Account holds a copy of their positions. Asked after the
 * commit: an Account registering later reads the batch itself (it registers before it reads).
 */
async function listening(db: Db, clientIds: string[]): Promise<string[]> {
	if (clientIds.length === 0) return [];
	const l = schema.replicationListeners;
	const rows = await db.select({ clientId: l.clientId }).from(l).where(inArray(l.clientId, clientIds));
	return rows.map((r) => r.clientId);
}

/**
 * Applies a batch in one transaction, set-based. When Postgres refuses a value, the batch is
 * applied again one change at a time, in order, in a new transaction: that names the event at
 * fault (nothing of the batch is kept), or, if order within a statement was what collided
 * (two rows swapping a unique value), applies it as the events' order says.
 */
async function applyInTransaction(db: Db, changes: Change[]): Promise<ApplyResult> {
	try {
		return await db.transaction(async (tx) => {
			const tally = new Tally();
			await applySet(tx, changes, tally);
			return finish(tx, changes, tally);
		});
	} catch (err) {
		if (!refusedValue(err)) throw conflict(err);
	}
	try {
		return await db.transaction(async (tx) => {
			const tally = new Tally();
			for (const c of changes) {
				try {
					await applySet(tx, [c], tally);
				} catch (err) {
					if (!refusedValue(err)) throw err;
					const message = (err as { cause?: Error }).cause?.message ?? String(err);
					throw new Problem(400, "INVALID_CHANGE_EVENT", `event ${c.index}: ${message}`, { event: c.index });
				}
			}
			return finish(tx, changes, tally);
		});
	} catch (err) {
		throw conflict(err);
	}
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
