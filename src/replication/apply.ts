// Applies a validated batch of changes to Postgres atomically, set-based: one statement for the
// whole batch (split only at truncates). Every row is guarded by its source position, so a duplicate or an older
// change is skipped (and counted), and a tombstone keeps a deleted or truncated row from coming back.
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { type Db, schema } from "../db/client";
import { Problem } from "../http/problem";
import { type Change, keyField } from "./events";
import type { Target } from "./mapping";

export interface ApplyResult {
	applied: number;
	/** duplicates + tombstones. */
	skipped: number;
	/** Changes at or behind the row's (or its tombstone's) position: already applied or superseded. */
	duplicates: number;
	/** Null (Kafka tombstone) entries. */
	tombstones: number;
	/** Clients whose positions or pending orders changed, and instruments that changed: their Accounts are told (notify.ts). */
	touched: Touched;
	/** Clients whose row changed, with their status as committed: their Account learns it. */
	status: Record<string, "active" | "disabled">;
}

export interface Touched {
	clients: string[];
	instruments: string[];
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
const keyColumn = (target: Target) => (getTableColumns(tables[target]) as Record<string, PgColumn>)[keyField[target]]!;

type Upsert = Extract<Change, { kind: "upsert" }>;
type Delete = Extract<Change, { kind: "delete" }>;
type Truncate = Extract<Change, { kind: "truncate" }>;
type Exec = Pick<Db, "execute">;

/** The rows of a statement part as a single jsonb parameter, read back typed with jsonb_to_recordset. */
function input(rows: Record<string, unknown>[], columns: { name: string; type: string }[]): SQL {
	const defs = columns.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.type)}`);
	return sql`SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS input(${sql.join(defs, sql`, `)})`;
}

/**
 * One group of changes inside a statement: its CTEs, and a SELECT of (part, key, owner, status)
 * with a row for each change that took effect (counted per part by runParts).
 */
interface Part {
	target: Target;
	changes: (Upsert | Delete)[];
	ctes: SQL[];
	done: SQL;
}

/**
 * Upserts of one target that carry the same fields (fields a change leaves out keep the row's
 * value), one per key. A row is written only past its own position and its tombstones' (the
 * row's, or the table's from a truncate); a newer create removes an older tombstone.
 */
function upsertPart(n: number, target: Target, changes: Upsert[]): Part {
	const table = tables[target];
	const columns = getTableColumns(table) as Record<string, PgColumn>;
	const keys = Object.keys(changes[0]!.row);
	const fields = keys.map((k) => {
		const col = columns[k];
		if (!col) throw new Error(`mapping names unknown field ${target}.${k}`);
		return col;
	});
	const rows = changes.map((c) => {
		const row: Record<string, unknown> = { source_lsn: c.lsn.toString() };
		keys.forEach((k, i) => {
			row[fields[i]!.name] = c.row[k] ?? null;
		});
		return row;
	});
	const names = fields.map((f) => sql.identifier(f.name));
	const sets = fields.map((f) => sql`${sql.identifier(f.name)} = excluded.${sql.identifier(f.name)}`);
	// Replicated orders are the primary's; the backup's own are never written here.
	const origin = target === "orders" ? { name: sql`, origin`, value: sql`, 'primary'` } : { name: sql``, value: sql`` };
	const pk = sql.identifier(keyColumn(target).name);
	const [inp, rev, up] = [`in${n}`, `rev${n}`, `up${n}`].map((x) => sql.identifier(x));
	const source = input(rows, [...fields.map((f) => ({ name: f.name, type: f.getSQLType() })), { name: "source_lsn", type: "bigint" }]);
	const status = target === "clients" ? sql`status::text` : sql`NULL::text`;
	return {
		target,
		changes,
		ctes: [
			sql`${inp} AS (${source})`,
			sql`${rev} AS (
				DELETE FROM replication_tombstones t USING ${inp} i
				WHERE t.target = ${target} AND t.row_id = i.${pk} AND t.source_lsn < i.source_lsn)`,
			sql`${up} AS (
				INSERT INTO ${table} (${sql.join(names, sql`, `)}${origin.name}, source_lsn, updated_at)
				SELECT ${sql.join(names, sql`, `)}${origin.value}, source_lsn, now() FROM ${inp} i
				-- The row's tombstone and the table's, apart: each is a key lookup, where one test
				-- of both compared every change with every tombstone of the table.
				WHERE NOT EXISTS (
					SELECT 1 FROM replication_tombstones t
					WHERE t.target = ${target} AND t.row_id = i.${pk} AND t.source_lsn >= i.source_lsn)
				AND NOT EXISTS (
					SELECT 1 FROM replication_tombstones t
					WHERE t.target = ${target} AND t.row_id = '*' AND t.source_lsn >= i.source_lsn)
				ON CONFLICT (${pk}) DO UPDATE SET ${sql.join(sets, sql`, `)}, source_lsn = excluded.source_lsn, updated_at = now()
				WHERE ${table}.source_lsn < excluded.source_lsn${replicatedOnly(target)}
				RETURNING ${pk}::text AS key, ${ownerColumn(target)}::text AS owner, ${status} AS status)`,
		],
		done: sql`SELECT ${n} AS part, key, owner, status FROM ${up}`,
	};
}

/** Deletes rows behind the deletes' positions and leaves a tombstone at each (unless the row is already newer). */
function deletePart(n: number, target: Target, changes: Delete[]): Part {
	const table = tables[target];
	const pk = sql.identifier(keyColumn(target).name);
	const [inp, gone, tomb] = [`in${n}`, `gone${n}`, `tomb${n}`].map((x) => sql.identifier(x));
	const source = input(
		changes.map((c) => ({ key: c.key, source_lsn: c.lsn.toString() })),
		[
			{ name: "key", type: "text" },
			{ name: "source_lsn", type: "bigint" },
		],
	);
	return {
		target,
		changes,
		ctes: [
			sql`${inp} AS (${source})`,
			sql`${gone} AS (
				DELETE FROM ${table} USING ${inp} i
				WHERE ${table}.${pk} = i.key AND ${table}.source_lsn < i.source_lsn${replicatedOnly(target)}
				RETURNING ${table}.${pk} AS key, ${table}.${ownerColumn(target)} AS owner)`,
			sql`${tomb} AS (
				INSERT INTO replication_tombstones (target, row_id, source_lsn)
				SELECT ${target}, i.key, i.source_lsn FROM ${inp} i
				WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE ${table}.${pk} = i.key AND ${table}.source_lsn >= i.source_lsn)
				ON CONFLICT (target, row_id) DO UPDATE SET source_lsn = excluded.source_lsn, deleted_at = now()
				WHERE replication_tombstones.source_lsn < excluded.source_lsn
				RETURNING row_id AS key)`,
		],
		done: sql`SELECT ${n} AS part, i.key, g.owner::text AS owner, NULL::text AS status FROM ${inp} i LEFT JOIN ${gone} g ON g.key = i.key
			WHERE g.key IS NOT NULL OR i.key IN (SELECT key FROM ${tomb})`,
	};
}

/** The highest position and source time of each connector in the batch, kept in replication_cursor. */
function cursorCte(changes: Change[]): SQL | null {
	const cursors = new Map<string, { lsn: bigint; tsMs: number }>();
	for (const c of changes) {
		if (c.kind === "tombstone") continue;
		const cur = cursors.get(c.sourceName);
		cursors.set(c.sourceName, { lsn: cur && cur.lsn > c.lsn ? cur.lsn : c.lsn, tsMs: Math.max(cur?.tsMs ?? 0, c.sourceTsMs ?? 0) });
	}
	if (cursors.size === 0) return null;
	const rows = [...cursors].map(([source, { lsn, tsMs }]) => ({ source, lsn: lsn.toString(), ts: tsMs }));
	return sql`cursor AS (
		INSERT INTO replication_cursor (source, lsn, source_ts_ms, updated_at)
		SELECT source, lsn, ts, now() FROM (${input(rows, [
			{ name: "source", type: "text" },
			{ name: "lsn", type: "bigint" },
			{ name: "ts", type: "bigint" },
		])}) c
		ON CONFLICT (source) DO UPDATE SET lsn = GREATEST(replication_cursor.lsn, excluded.lsn),
			source_ts_ms = GREATEST(replication_cursor.source_ts_ms, excluded.source_ts_ms), updated_at = now())`;
}

async function truncate(tx: Exec, c: Truncate): Promise<{ applied: boolean; owners: string[] }> {
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
	readonly clients = new Set<string>();
	readonly status: Record<string, "active" | "disabled"> = {};
	readonly instruments = new Set<string>();

	touched(target: Target, owner: string, status: string | null) {
		// A client deleted (or truncated away) on the primary may no longer trade here.
		if (target === "clients") this.status[owner] = status === "active" ? "active" : "disabled";
		else if (target === "instruments") this.instruments.add(owner);
		else this.clients.add(owner);
	}
}

function addTo<K, V>(groups: Map<K, V[]>, key: K, value: V) {
	const list = groups.get(key);
	if (list) list.push(value);
	else groups.set(key, [value]);
}

/**
 * Cuts changes (no truncates among them) down to the newest per row: a change a newer one in the
 * batch supersedes counts as a duplicate. Returns the parts of one statement: per target one
 * delete part and one upsert part per set of fields.
 */
function parts(changes: (Upsert | Delete)[], tally: Tally): Part[] {
	const newest = new Map<string, Upsert | Delete>();
	for (const c of changes) {
		const id = `${c.target}\u0000${c.key}`;
		const seen = newest.get(id);
		if (seen) tally.duplicates++;
		if (!seen || seen.lsn < c.lsn) newest.set(id, c);
	}
	const deletes = new Map<Target, Delete[]>();
	const upserts = new Map<string, Upsert[]>();
	for (const c of newest.values()) {
		if (c.kind === "delete") addTo(deletes, c.target, c);
		else addTo(upserts, `${c.target}:${Object.keys(c.row).sort().join(",")}`, c);
	}
	return [
		...[...deletes].map(([target, list], n) => deletePart(n, target, list)),
		...[...upserts.values()].map((list, n) => upsertPart(deletes.size + n, list[0]!.target, list)),
	];
}

/**
 * Runs parts (and the cursor) as one statement: its CTEs all see the rows as they were before
 * it, and rows of one part never meet another's (one change per row, and a row's tombstone is
 * its own), so the order among parts does not matter.
 */
async function runParts(exec: Exec, list: Part[], cursor: SQL | null, tally: Tally): Promise<void> {
	if (list.length === 0 && cursor === null) return;
	const ctes = [...list.flatMap((p) => p.ctes), ...(cursor ? [cursor] : [])];
	const selects =
		list.length > 0
			? list.map((p) => p.done)
			: [sql`SELECT 0 AS part, NULL::text AS key, NULL::text AS owner, NULL::text AS status WHERE false`];
	// One row per part (how many took effect, and their distinct owners with their status): a
	// thousand changes come back as a few rows for the driver to parse, not a thousand.
	const done = await exec.execute<{ part: string; applied: number; owners: [string, string | null][] | null }>(
		sql`WITH ${sql.join(ctes, sql`, `)}
			SELECT part, count(*)::int AS applied,
				json_agg(DISTINCT jsonb_build_array(owner, status)) FILTER (WHERE owner IS NOT NULL) AS owners
			FROM (${sql.join(selects, sql` UNION ALL `)}) done GROUP BY part`,
	);
	const applied = new Array<number>(list.length).fill(0);
	for (const d of done.rows) {
		// The part number comes back as text (an untyped parameter).
		const n = Number(d.part);
		const part = list[n]!;
		applied[n] = d.applied;
		for (const [owner, status] of d.owners ?? []) tally.touched(part.target, owner, status);
	}
	list.forEach((p, i) => {
		tally.applied += applied[i]!;
		tally.duplicates += p.changes.length - applied[i]!;
	});
}

/** The changes between truncates go as one statement each, the truncates between them. */
async function applyInOrder(exec: Exec, changes: Change[], tally: Tally, withCursor: boolean): Promise<void> {
	let between: (Upsert | Delete)[] = [];
	for (const c of changes) {
		if (c.kind === "tombstone") continue;
		if (c.kind !== "truncate") {
			between.push(c);
			continue;
		}
		await runParts(exec, parts(between, tally), null, tally);
		between = [];
		const r = await truncate(exec, c);
		if (r.applied) tally.applied++;
		else tally.duplicates++;
		for (const owner of r.owners) tally.touched(c.target, owner, null);
	}
	await runParts(exec, parts(between, tally), withCursor ? cursorCte(changes) : null, tally);
}

function result(changes: Change[], tally: Tally): ApplyResult {
	const tombstones = changes.filter((c) => c.kind === "tombstone").length;
	return {
		applied: tally.applied,
		skipped: tally.duplicates + tombstones,
		duplicates: tally.duplicates,
		tombstones,
		touched: { clients: [...tally.clients], instruments: [...tally.instruments] },
		status: tally.status,
	};
}

/**
 * Applies a batch atomically: without a truncate, as one statement (no transaction needed);
 * with one, a statement for the changes on each side of it, in one transaction. When Postgres
 * refuses a value, the batch is applied again one change at a time, in order, in a transaction:
 * that names the event at fault (nothing of the batch is kept), or, if what collided was order
 * within a statement (two rows swapping a unique value), applies it as the events' order says.
 */
export async function applyChanges(db: Db, changes: Change[]): Promise<ApplyResult> {
	try {
		const tally = new Tally();
		if (changes.some((c) => c.kind === "truncate")) await db.transaction((tx) => applyInOrder(tx, changes, tally, true));
		else await applyInOrder(db, changes, tally, true);
		return result(changes, tally);
	} catch (err) {
		if (!refusedValue(err)) throw conflict(err);
	}
	try {
		const tally = new Tally();
		await db.transaction(async (tx) => {
			for (const c of changes) {
				try {
					await applyInOrder(tx, [c], tally, false);
				} catch (err) {
					if (!refusedValue(err)) throw err;
					const message = (err as { cause?: Error }).cause?.message ?? String(err);
					throw new Problem(400, "INVALID_CHANGE_EVENT", `event ${c.index}: ${message}`, { event: c.index });
				}
			}
			await runParts(tx, [], cursorCte(changes), tally);
		});
		return result(changes, tally);
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
