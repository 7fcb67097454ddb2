import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, runInDurableObject } from "cloudflare:test";
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { writeRecords } from "../queues/records";
import { itemAt } from "../scripts/fixtures.ts";
import { schema } from "../src/db/client";
import worker from "../src/index";
import { HOUSEKEEPING_CRON } from "../src/scheduled";
import wranglerToml from "../wrangler.toml?raw";
import { MAX_EVENTS_PER_BATCH } from "../src/replication/events";
import { type ClientRows, clientRowsOf } from "../src/replication/client-rows";
import { describeFreshness, freshnessMetrics } from "../src/replication/freshness";
import type { OrderRecord, Position } from "../src/contract";
import { applied, change, clientRow, nextLsn, pendingOrderRow, positionRow, postChanges, query, scripRow } from "./cdc";
import { createClient, openSession, uid } from "./fixtures";
import { call, eventually, expectProblem, statementsRunBy } from "./helpers";

const positionOf = (id: string) => query(async (db) => (await db.select().from(schema.positions).where(eq(schema.positions.id, id)))[0]);
const orderOf = (id: string) => query(async (db) => (await db.select().from(schema.orders).where(eq(schema.orders.id, id)))[0]);

/** The client's positions as its Account holds them (what /api/positions and square-offs use). */
async function livePosition(clientId: string, positionId: string) {
	const { cookie } = await openSession(clientId);
	const res = await call("/api/positions", { headers: { cookie } });
	const { positions } = (await res.json()) as { positions: Position[] };
	return positions.find((p) => p.id === positionId);
}

/** A client with one scrip and one position, all created through replication. */
async function replicatedClient() {
	const clientId = uid("R");
	const scrip = uid("S");
	const position = uid("P");
	const answer = await applied([
		change("client_master", "r", { after: clientRow(clientId) }),
		change("scrip_master", "r", { after: scripRow(scrip) }),
		change("net_positions", "c", { after: positionRow(position, clientId, scrip, 50) }),
	]);
	return { clientId, scrip, position, answer };
}

describe("POST /sync/changes", () => {
	it("applies snapshot reads and creates, then updates; the cursor keeps the newest position and source time", async () => {
		const source = `src-${uid()}`;
		const clientId = uid("R");
		const scrip = uid("S");
		const position = uid("P");
		const t0 = Date.now() - 7_200_000;
		const first = await applied([
			change("client_master", "r", { after: clientRow(clientId) }, { source, tsMs: t0 }),
			change("scrip_master", "r", { after: scripRow(scrip, { lot_size: 1, freeze_qty: null }) }, { source, tsMs: t0 }),
			change("net_positions", "c", { after: positionRow(position, clientId, scrip, 50, "101.25") }, { source, tsMs: t0 + 1000 }),
		]);
		expect(first).toMatchObject({ applied: 3, skipped: 0 });
		const lsn = nextLsn();
		const second = await applied([
			change(
				"net_positions",
				"u",
				{ before: null, after: positionRow(position, clientId, scrip, 20, "101.25") },
				{ source, lsn, tsMs: t0 + 2000 },
			),
		]);
		expect(second).toMatchObject({ applied: 1, skipped: 0 });

		expect(await positionOf(position)).toMatchObject({ clientId, instrumentId: scrip, product: "MIS", netQty: 20, avgPrice: "101.25" });
		const client = await query(async (db) => (await db.select().from(schema.clients).where(eq(schema.clients.clientId, clientId)))[0]);
		expect(client).toMatchObject({ name: `Client ${clientId}`, status: "active" });
		const cursor = itemAt(
			await query((db) => db.select().from(schema.replicationCursor).where(eq(schema.replicationCursor.source, source))),
			0,
			"replication cursor",
		);
		expect(cursor.lsn).toBe(BigInt(lsn));
		expect(cursor.sourceTsMs).toBe(t0 + 2000);
	});

	it("skips and counts duplicates: the same batch twice changes nothing the second time", async () => {
		const clientId = uid("R");
		const batch = [
			change("client_master", "c", { after: clientRow(clientId) }),
			change("net_positions", "c", { after: positionRow(uid("P"), clientId, uid("S"), 5) }),
		];
		expect(await applied(batch)).toMatchObject({ applied: 2, skipped: 0 });
		expect(await applied(batch)).toMatchObject({ applied: 0, skipped: 2, duplicates: 2 });
	});

	it("never lets an older change overwrite a newer one (events out of order)", async () => {
		const { clientId, scrip, position } = await replicatedClient();
		const older = nextLsn();
		const newer = nextLsn();
		await applied([change("net_positions", "u", { after: positionRow(position, clientId, scrip, 10) }, { lsn: newer })]);
		const late = await applied([change("net_positions", "u", { after: positionRow(position, clientId, scrip, 40) }, { lsn: older })]);
		expect(late).toMatchObject({ applied: 0, duplicates: 1 });
		expect(await positionOf(position)).toMatchObject({ netQty: 10, sourceLsn: BigInt(newer) });
	});

	it("deletes a row; an older create arriving late does not bring it back; a newer create does", async () => {
		const { clientId, scrip, position } = await replicatedClient();
		const createdAt = nextLsn();
		const deletedAt = nextLsn();
		expect(await applied([change("net_positions", "d", { before: { position_id: position } }, { lsn: deletedAt })])).toMatchObject({
			applied: 1,
		});
		expect(await positionOf(position)).toBeUndefined();

		const late = await applied([change("net_positions", "c", { after: positionRow(position, clientId, scrip, 50) }, { lsn: createdAt })]);
		expect(late).toMatchObject({ applied: 0, duplicates: 1 });
		expect(await positionOf(position)).toBeUndefined();
		// The same delete again is a duplicate too.
		expect(await applied([change("net_positions", "d", { before: { position_id: position } }, { lsn: deletedAt })])).toMatchObject({
			applied: 0,
			duplicates: 1,
		});

		const again = await applied([change("net_positions", "c", { after: positionRow(position, clientId, scrip, 7) })]);
		expect(again).toMatchObject({ applied: 1 });
		expect(await positionOf(position)).toMatchObject({ netQty: 7 });
	});

	it("puts the primary's pending orders in orders (origin primary) and removes them when the primary deletes them", async () => {
		const clientId = uid("R");
		const orderNo = uid("PO");
		await applied([change("pending_orders", "c", { after: pendingOrderRow(orderNo, clientId) })]);
		expect(await orderOf(orderNo)).toMatchObject({
			origin: "primary",
			clientId,
			side: "SELL",
			orderType: "LIMIT",
			price: "2500.50",
			status: "OPEN",
			quantity: 10,
			filledQty: 0,
		});
		await applied([change("pending_orders", "d", { before: { order_no: orderNo } })]);
		expect(await orderOf(orderNo)).toBeUndefined();
	});

	it("a truncate clears the table's replicated rows, never the backup's own orders or rows loaded outside replication, and older changes stay out", async () => {
		const clientId = uid("R");
		const replicated = uid("PO");
		const beforeTruncate = nextLsn();
		await applied([change("pending_orders", "c", { after: pendingOrderRow(replicated, clientId) }, { lsn: beforeTruncate })]);
		const backupOrder: OrderRecord = {
			id: uid("O"),
			clientId,
			version: 1,
			squareOffId: "S1",
			positionId: null,
			exchange: "NSE",
			symbol: "RELIANCE",
			side: "SELL",
			quantity: 10,
			filledQty: 0,
			orderType: "MARKET",
			product: "MIS",
			status: "PENDING",
			createdAt: new Date().toISOString(),
			updatedAt: new Date().toISOString(),
		};
		await writeRecords(env, [{ kind: "order", order: backupOrder, event: {} }]);

		const truncated = await applied([change("pending_orders", "t", { before: null, after: null })]);
		expect(truncated).toMatchObject({ applied: 1 });
		expect(await orderOf(replicated)).toBeUndefined();
		expect(await orderOf(backupOrder.id)).toMatchObject({ origin: "backup", status: "PENDING" });

		const late = await applied([
			change("pending_orders", "u", { after: pendingOrderRow(replicated, clientId, 5) }, { lsn: beforeTruncate }),
		]);
		expect(late).toMatchObject({ applied: 0, duplicates: 1 });
		expect(await orderOf(replicated)).toBeUndefined();
	});

	it("a client's fixture rows (not replicated) survive a positions truncate", async () => {
		const fixture = await createClient({ positions: [{ instrument: { segment: "EQ" }, netQty: 10 }] });
		const { position } = await replicatedClient();
		await applied([change("net_positions", "t", {})]);
		expect(await positionOf(position)).toBeUndefined();
		expect(await positionOf(itemAt(fixture.positionIds, 0, "position"))).toMatchObject({ netQty: 10 });
	});

	it("refuses a malformed batch whole with 400 INVALID_CHANGE_EVENT naming the event; nothing of it is applied", async () => {
		const clientId = uid("R");
		const good = change("client_master", "c", { after: clientRow(clientId) });
		const cases: [unknown, RegExp][] = [
			[change("net_positions", "c", { after: { ...positionRow(uid("P"), clientId, "X", 1), net_qty: "lots" } }), /event 1: after\.net_qty/],
			[{ ...change("net_positions", "c", { after: positionRow(uid("P"), clientId, "X", 1) }), op: "x" }, /event 1: op/],
			[change("net_positions", "d", { before: null }), /event 1: op "d" needs "before"/],
			[change("net_positions", "u", { after: { net_qty: 1 } }), /event 1: after\.position_id: the row's key is missing/],
			[
				{
					...change("net_positions", "c", { after: positionRow(uid("P"), clientId, "X", 1) }),
					source: { schema: "primary", table: "net_positions" },
				},
				/event 1: source has no log position/,
			],
			["not an event", /event 1/],
		];
		for (const [bad, detail] of cases) {
			const problem = (await expectProblem(await postChanges([good, bad]), 400, "INVALID_CHANGE_EVENT")) as unknown as {
				detail: string;
				event: number;
			};
			expect(problem.detail).toMatch(detail);
			expect(problem.event).toBe(1);
		}
		const rows = await query((db) => db.select().from(schema.clients).where(eq(schema.clients.clientId, clientId)));
		expect(rows).toHaveLength(0);
	});

	it("a value Postgres refuses (two scrips with one symbol) fails the batch with 400 naming the event, nothing applied", async () => {
		const a = uid("S");
		const b = uid("S");
		const res = await postChanges([
			change("scrip_master", "c", { after: scripRow(a, { trading_symbol: `DUP${a}` }) }),
			change("scrip_master", "c", { after: scripRow(b, { trading_symbol: `DUP${a}` }) }),
		]);
		const problem = (await expectProblem(res, 400, "INVALID_CHANGE_EVENT")) as unknown as { detail: string };
		expect(problem.detail).toMatch(/^event 1: /);
		const rows = await query((db) =>
			db
				.select()
				.from(schema.instruments)
				.where(inArray(schema.instruments.id, [a, b])),
		);
		expect(rows).toHaveLength(0);
	});

	it("refuses an unknown table with 422 UNKNOWN_TABLE naming it, nothing applied", async () => {
		const clientId = uid("R");
		const res = await postChanges([
			change("client_master", "c", { after: clientRow(clientId) }),
			change("margin_ledger", "c", { after: { id: 1 } }),
		]);
		const problem = (await expectProblem(res, 422, "UNKNOWN_TABLE")) as unknown as { detail: string; table: string };
		expect(problem.table).toBe("primary.margin_ledger");
		expect(problem.detail).toContain("event 1");
		expect(await query((db) => db.select().from(schema.clients).where(eq(schema.clients.clientId, clientId)))).toHaveLength(0);
	});

	it("skips Kafka tombstones (null) and accepts schema-wrapped envelopes and a single bare event", async () => {
		const clientId = uid("R");
		const answer = await applied([
			null,
			{ schema: { type: "struct" }, payload: change("client_master", "c", { after: clientRow(clientId) }) },
		]);
		expect(answer).toMatchObject({ applied: 1, skipped: 1, tombstones: 1 });
		expect(await applied(change("net_positions", "c", { after: positionRow(uid("P"), clientId, uid("S"), 3) }))).toMatchObject({
			applied: 1,
		});
	});

	// Binlog file numbers are chosen high so these positions sit above the earlier tests' Postgres
	// LSNs (and their truncate's tombstone): one table never mixes connectors outside tests.
	it("orders MySQL changes by binlog file and offset", async () => {
		const clientId = uid("R");
		const position = uid("P");
		const mysql = (netQty: number, file: string, pos: number) => ({
			op: "u",
			before: null,
			after: positionRow(position, clientId, "X", netQty),
			source: {
				connector: "mysql",
				name: "mysql-src",
				db: "primary",
				table: "net_positions",
				ts_ms: Date.now() - 3_600_000,
				file,
				pos,
				row: 0,
			},
		});
		await applied([mysql(30, "mysql-bin.900003", 120)]);
		expect(await applied([mysql(99, "mysql-bin.900002", 999_999)])).toMatchObject({ applied: 0, duplicates: 1 });
		expect(await applied([mysql(31, "mysql-bin.900003", 4_000)])).toMatchObject({ applied: 1 });
		expect(await positionOf(position)).toMatchObject({ netQty: 31 });
	});

	it("guards its door: the sync token, JSON bodies, the batch size", async () => {
		await expectProblem(await postChanges([], { "content-type": "application/json" }), 401, "UNAUTHENTICATED");
		await expectProblem(await postChanges([], { authorization: "Bearer dev-ops-token" }), 401, "UNAUTHENTICATED");
		await expectProblem(
			await call("/sync/changes", { method: "POST", headers: { authorization: "Bearer dev-sync-token" }, body: "[{" }),
			400,
			"MALFORMED_REQUEST",
		);
		const many = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, () => null);
		await expectProblem(await postChanges(many), 413, "BATCH_TOO_LARGE");
		expect(await applied([])).toMatchObject({ applied: 0, skipped: 0 });
	});
});

describe("live state follows replication", () => {
	it("a position change reaches the client's Account; a stale one does not", async () => {
		const { clientId, scrip, position } = await replicatedClient();
		expect((await livePosition(clientId, position))?.netQty).toBe(50);
		await applied([
			change("net_positions", "u", { after: positionRow(position, clientId, scrip, 30) }),
			change("net_positions", "u", { after: positionRow(position, clientId, scrip, 25) }),
		]);
		expect((await livePosition(clientId, position))?.netQty).toBe(25);
		await applied([change("net_positions", "u", { after: positionRow(position, clientId, scrip, 99) }, { lsn: 1 })]);
		expect((await livePosition(clientId, position))?.netQty).toBe(25);
	});

	it("an instrument change reaches the Accounts of clients holding it", async () => {
		const { clientId, scrip, position } = await replicatedClient();
		expect(await livePosition(clientId, position)).toBeDefined();
		await applied([change("scrip_master", "u", { after: scripRow(scrip, { lot_size: 1, freeze_qty: 500 }) })]);
		expect(await livePosition(clientId, position)).toMatchObject({ lotSize: 1, freezeQty: 500 });
	});

	it("a client disabled on the primary loses its sessions at once, and gets them back when re-enabled", async () => {
		const { clientId } = await replicatedClient();
		const { sessionId } = await openSession(clientId);
		const check = () =>
			runInDurableObject(env.ACCOUNTS.getByName(clientId), (account) => account.touchSession(sessionId, Math.floor(Date.now() / 1000)));
		expect(await check()).toEqual({ ok: true });
		await applied([change("client_master", "u", { after: clientRow(clientId, "D") })]);
		expect(await check()).toEqual({ ok: false, reason: "CLIENT_DISABLED" });
		await applied([change("client_master", "u", { after: clientRow(clientId, "A") })]);
		expect(await check()).toEqual({ ok: true });
	});

	it("a client change in a batch that also deletes rows keeps the client's status", async () => {
		const { clientId, scrip } = await replicatedClient();
		const gone = uid("P");
		await applied([change("net_positions", "c", { after: positionRow(gone, clientId, scrip, 5) })]);
		const { sessionId } = await openSession(clientId);
		await applied([
			change("net_positions", "d", { before: positionRow(gone, clientId, scrip, 5) }),
			change("client_master", "u", { after: { ...clientRow(clientId), client_name: "Renamed" } }),
		]);
		expect(
			await runInDurableObject(env.ACCOUNTS.getByName(clientId), (account) =>
				account.touchSession(sessionId, Math.floor(Date.now() / 1000)),
			),
		).toEqual({ ok: true });
	});

	it("an Account told of a batch runs no statement of its own: its rows come with the word", async () => {
		const { clientId, scrip, position } = await replicatedClient();
		const label = `account:${clientId}`;
		const statements = async (atLeast: number) => {
			await eventually(async () => (await statementsRunBy(label)) >= atLeast, `${atLeast} statements counted`, 5000);
			return statementsRunBy(label);
		};
		expect((await livePosition(clientId, position))?.netQty).toBe(50);
		// The first load: one statement, and one more as it registered for the first time.
		expect(await statements(2)).toBe(2);
		await applied([change("net_positions", "u", { after: positionRow(position, clientId, scrip, 30) })]);
		expect((await livePosition(clientId, position))?.netQty).toBe(30);
		// A reload asked for now is the Account's next statement: nothing ran in between.
		await env.ACCOUNTS.getByName(clientId).refreshPositions(clientId);
		expect(await statements(3)).toBe(3);
	});

	it("an Account takes replication's rows only if newer than those it holds, unless Postgres read them over 30 s after those", async () => {
		const { clientId, scrip, position } = await replicatedClient();
		expect((await livePosition(clientId, position))?.netQty).toBe(50);
		const readRows = () => query(async (db) => (await db.execute<ClientRows>(clientRowsOf(sql`SELECT ${clientId}::text`))).rows[0]!);
		const older = await readRows();
		await applied([change("net_positions", "u", { after: positionRow(position, clientId, scrip, 30) })]);
		expect((await livePosition(clientId, position))?.netQty).toBe(30);
		// Rows read before the batch, arriving after it (a late word): not taken.
		const account = env.ACCOUNTS.getByName(clientId);
		await account.positionsReplicated(older);
		expect((await livePosition(clientId, position))?.netQty).toBe(30);
		// Rows read over 30 s after those held win though they look older (the database's
		// transaction ids may have gone back).
		await runInDurableObject(account, (_, state) => {
			state.storage.sql.exec("UPDATE client SET positions_read_at = ?", older.readAtMs - 31_000);
		});
		await account.positionsReplicated(older);
		expect((await livePosition(clientId, position))?.netQty).toBe(50);
	});

	it("GET /api/positions shows a replicated update", async () => {
		const { clientId, scrip, position } = await replicatedClient();
		const { cookie } = await openSession(clientId);
		const read = async () => {
			const res = await call("/api/positions", { headers: { cookie } });
			expect(res.status).toBe(200);
			return (await res.json()) as { asOf: string | null; positions: { id: string; netQty: number }[] };
		};
		expect((await read()).positions.find((p) => p.id === position)?.netQty).toBe(50);
		await applied([change("net_positions", "u", { after: positionRow(position, clientId, scrip, -15) })]);
		expect((await read()).positions.find((p) => p.id === position)?.netQty).toBe(-15);
		await applied([change("net_positions", "u", { after: positionRow(position, clientId, scrip, 0) })]);
		expect((await read()).positions.find((p) => p.id === position)).toBeUndefined();
	});
});

describe("data freshness", () => {
	it("is stale past the threshold, and when nothing is known", () => {
		const now = Date.parse("2026-11-27T10:00:00Z");
		expect(describeFreshness(now - 120_000, now, 120)).toMatchObject({ lagSeconds: 120, stale: false, asOf: "2026-11-27T09:58:00.000Z" });
		expect(describeFreshness(now - 121_000, now, 120)).toMatchObject({ lagSeconds: 121, stale: true });
		expect(describeFreshness(null, now, 120)).toEqual({ asOf: null, lagSeconds: null, staleAfterSeconds: 120, stale: true });
		expect(freshnessMetrics(describeFreshness(now - 5_000, now, 120))).toContain("lifeboat_replication_lag_seconds 5\n");
	});

	it("GET /api/status carries the threshold (STALE_AFTER_SECONDS) and whether the data is stale", async () => {
		const { data } = (await (await call("/api/status")).json()) as {
			data: { lagSeconds: number | null; staleAfterSeconds: number; stale: boolean };
		};
		expect(data.staleAfterSeconds).toBe(Number(env.STALE_AFTER_SECONDS));
		expect(data.stale).toBe(data.lagSeconds === null || data.lagSeconds > data.staleAfterSeconds);
	});
});

describe("housekeeping", () => {
	it("the daily cron purges tombstones past their 7 days and keeps newer ones; the minute cron leaves them", async () => {
		const [old, recent] = [uid("TOLD"), uid("TNEW")];
		const day = 24 * 60 * 60 * 1000;
		await query((db) =>
			db.insert(schema.replicationTombstones).values([
				{ target: "positions", rowId: old, sourceLsn: 1n, deletedAt: new Date(Date.now() - 8 * day) },
				{ target: "positions", rowId: recent, sourceLsn: 1n, deletedAt: new Date(Date.now() - 6 * day) },
			]),
		);
		const left = () =>
			query(async (db) =>
				(
					await db
						.select({ rowId: schema.replicationTombstones.rowId })
						.from(schema.replicationTombstones)
						.where(inArray(schema.replicationTombstones.rowId, [old, recent]))
				)
					.map((r) => r.rowId)
					.sort(),
			);
		expect(wranglerToml).toContain(`"${HOUSEKEEPING_CRON}"`); // the cron that fires it is configured
		await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
		expect(await left()).toEqual([old, recent].sort());
		await worker.scheduled(createScheduledController({ cron: HOUSEKEEPING_CRON }), env, createExecutionContext());
		expect(await left()).toEqual([recent]);
	});
});
