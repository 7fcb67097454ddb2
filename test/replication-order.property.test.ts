// Property of replication's apply (src/replication/apply.ts) on the real Postgres: a random
// stream of changes to a few rows (clients, instruments, positions, the primary's orders:
// creates, updates, deletes), applied once in source order one change at a time, ends in the
// same rows and tombstones as the same stream with changes repeated, shuffled into any order and
// cut into batches of any size. Truncates stay out: they reach every replicated row of a table,
// other tests' too (their ordering has its own tests in sync-changes.integration.test.ts).
import { env } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { openDb, schema } from "../src/db/client";
import { applyChanges } from "../src/replication/apply";
import { parseChanges } from "../src/replication/events";
import { defaultMapping } from "../src/replication/mapping";
import { change, clientRow, nextLsn, pendingOrderRow, positionRow, scripRow } from "./cdc";
import { uid } from "./fixtures";

const { db, close } = openDb(env, "replication-property");
afterAll(() => close());

/** The rows a stream touches, named by slot so two runs under different prefixes compare. */
const SLOTS = ["client", "scrip", "position0", "position1", "order0", "order1"] as const;
type Slot = (typeof SLOTS)[number];

interface Step {
	slot: Slot;
	op: "c" | "u" | "d";
	value: number;
}

const step = fc.record({
	slot: fc.constantFrom(...SLOTS),
	op: fc.constantFrom("c" as const, "u" as const, "d" as const),
	value: fc.integer({ min: 1, max: 50 }),
});

/** The stream's Debezium events under `prefix`, with the positions given (the same for every prefix). */
function events(prefix: string, steps: Step[], lsns: number[]) {
	const id = (slot: Slot) => `${prefix}-${slot}`;
	const clientId = id("client");
	return steps.map((s, i) => {
		const opts = { lsn: lsns[i] };
		if (s.slot === "client") {
			return s.op === "d"
				? change("client_master", "d", { before: { client_code: clientId } }, opts)
				: change("client_master", s.op, { after: { ...clientRow(clientId, s.value % 2 ? "A" : "D"), client_name: `N${s.value}` } }, opts);
		}
		if (s.slot === "scrip") {
			const scrip = id("scrip");
			return s.op === "d"
				? change("scrip_master", "d", { before: { scrip_id: scrip } }, opts)
				: change("scrip_master", s.op, { after: scripRow(scrip, { lot_size: s.value, trading_symbol: `SYM${scrip}` }) }, opts);
		}
		if (s.slot.startsWith("position")) {
			const position = id(s.slot);
			return s.op === "d"
				? change("net_positions", "d", { before: { position_id: position } }, opts)
				: change("net_positions", s.op, { after: positionRow(position, clientId, id("scrip"), s.value - 25, `${s.value}.50`) }, opts);
		}
		const orderNo = id(s.slot);
		return s.op === "d"
			? change("pending_orders", "d", { before: { order_no: orderNo } }, opts)
			: change("pending_orders", s.op, { after: { ...pendingOrderRow(orderNo, clientId, s.value), filled_qty: s.value % 3 } }, opts);
	});
}

const apply = (batch: unknown[]) => applyChanges(db, parseChanges(batch, defaultMapping));

/** Every row and tombstone under `prefix`, keyed by slot, without the times of writing. */
async function rowsOf(prefix: string) {
	const ids = SLOTS.map((s) => `${prefix}-${s}`);
	const slot = (id: string) => id.slice(prefix.length + 1);
	const [clients, instruments, positions, orders, tombstones] = await Promise.all([
		db.select().from(schema.clients).where(inArray(schema.clients.clientId, ids)),
		db.select().from(schema.instruments).where(inArray(schema.instruments.id, ids)),
		db.select().from(schema.positions).where(inArray(schema.positions.id, ids)),
		db.select().from(schema.orders).where(inArray(schema.orders.id, ids)),
		db.select().from(schema.replicationTombstones).where(inArray(schema.replicationTombstones.rowId, ids)),
	]);
	const out: Record<string, unknown> = {};
	for (const { updatedAt: _, clientId, ...r } of clients) out[slot(clientId)] = r;
	for (const { updatedAt: _, id, symbol: __, underlying: ___, ...r } of instruments) out[slot(id)] = r;
	for (const { updatedAt: _, id, clientId: __, instrumentId: ___, ...r } of positions) out[slot(id)] = r;
	for (const { updatedAt: _, createdAt: __, id, clientId: ___, ...r } of orders) out[slot(id)] = r;
	for (const t of tombstones) out[`tombstone ${t.target} ${slot(t.rowId)}`] = t.sourceLsn;
	return out;
}

/** A stream, where each of its changes goes (1 to 3 copies, each at its own place in the order), and the batch sizes. */
const scenario = fc.array(step, { minLength: 1, maxLength: 14 }).chain((steps) =>
	fc.record({
		steps: fc.constant(steps),
		places: fc.array(fc.array(fc.nat(1000), { minLength: 1, maxLength: 3 }), { minLength: steps.length, maxLength: steps.length }),
		sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 42, maxLength: 42 }),
	}),
);

describe("replication apply", () => {
	it("any repetition, order and batching of a change stream ends in the rows of applying it once in source order", async () => {
		await fc.assert(
			fc.asyncProperty(scenario, async ({ steps, places, sizes }) => {
				const lsns = steps.map(() => nextLsn());
				const [inOrder, scrambled] = [uid("RO"), uid("RS")];
				for (const e of events(inOrder, steps, lsns)) await apply([e]);

				const stream = events(scrambled, steps, lsns);
				const shuffled = stream
					.flatMap((e, i) => (places[i] ?? [0]).map((place) => ({ e, place })))
					.sort((a, b) => a.place - b.place)
					.map((x) => x.e);
				for (let i = 0, b = 0; i < shuffled.length; b++) {
					const size = sizes[b % sizes.length] ?? 1;
					await apply(shuffled.slice(i, i + size));
					i += size;
				}
				expect(await rowsOf(scrambled)).toEqual(await rowsOf(inOrder));
			}),
			{ numRuns: 40 },
		);
	});
});
