import { env } from "cloudflare:workers";
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { writeRecords } from "../queues/records";
import { itemAt } from "../scripts/fixtures.ts";
import { audit, auditEntry } from "../src/observability/audit";
import { schema } from "../src/db/client";
import { orderRecord as order, uid } from "./fixtures";
import { eventually, query } from "./helpers";

describe("records queue -> Postgres", () => {
	it("an audit entry sent on the real queue lands in audit_log and the outbox", async () => {
		const entry = auditEntry("auth.logout", "client:CREC", "CREC", { test: true });
		await audit(env, entry);
		const row = await eventually(
			() => query(async (db) => (await db.select().from(schema.auditLog).where(eq(schema.auditLog.id, entry.id)))[0]),
			"audit row",
			10_000,
		);
		expect(row).toMatchObject({ action: "auth.logout", clientId: "CREC", detail: { test: true } });
		const outbox = await query((db) =>
			db
				.select()
				.from(schema.outbox)
				.where(eq(schema.outbox.eventId, `audit:${entry.id}`)),
		);
		expect(outbox).toHaveLength(1);
	});

	it("a redelivered batch writes each row once", async () => {
		const entry = auditEntry("auth.login_failed", "client:CREC", "CREC");
		const o = order(uid("O"), 1, "PENDING", 0);
		await writeRecords(env, [
			{ kind: "audit", entry },
			{ kind: "order", order: o, event: {} },
		]);
		await writeRecords(env, [
			{ kind: "audit", entry },
			{ kind: "order", order: o, event: {} },
		]);
		const counts = await query(async (db) => {
			const count = async (rows: PromiseLike<{ n: number }[]>) => itemAt(await rows, 0, "count row").n;
			const audit = await count(db.select({ n: sql<number>`count(*)::int` }).from(schema.auditLog).where(eq(schema.auditLog.id, entry.id)));
			const events = await count(
				db.select({ n: sql<number>`count(*)::int` }).from(schema.orderEvents).where(eq(schema.orderEvents.orderId, o.id)),
			);
			const outbox = await count(
				db.select({ n: sql<number>`count(*)::int` }).from(schema.outbox).where(eq(schema.outbox.aggregateId, o.id)),
			);
			return { audit, events, outbox };
		});
		expect(counts).toEqual({ audit: 1, events: 1, outbox: 1 });
	});

	it("an older order version arriving late never overwrites a newer one", async () => {
		const id = uid("O");
		await writeRecords(env, [{ kind: "order", order: order(id, 3, "COMPLETE", 10), event: { fillQty: 10, fillPrice: "101.00" } }]);
		await writeRecords(env, [{ kind: "order", order: order(id, 2, "OPEN", 0), event: {} }]);
		const [row] = await query((db) => db.select().from(schema.orders).where(eq(schema.orders.id, id)));
		expect(row).toMatchObject({ status: "COMPLETE", filledQty: 10, version: 3 });
		const events = await query((db) => db.select().from(schema.orderEvents).where(eq(schema.orderEvents.orderId, id)));
		expect(events.map((e) => e.version).sort()).toEqual([2, 3]);
	});

	it("several versions of one order in one batch: the newest row, every event, in any order", async () => {
		const id = uid("O");
		await writeRecords(env, [
			{ kind: "order", order: order(id, 2, "SENT", 0), event: {} },
			{ kind: "order", order: order(id, 4, "COMPLETE", 10), event: { fillQty: 6, fillPrice: "101.00" } },
			{ kind: "order", order: order(id, 1, "PENDING", 0), event: {} },
			{ kind: "order", order: order(id, 3, "OPEN", 4), event: { fillQty: 4, fillPrice: "100.00" } },
		]);
		const [row] = await query((db) => db.select().from(schema.orders).where(eq(schema.orders.id, id)));
		expect(row).toMatchObject({ status: "COMPLETE", filledQty: 10, version: 4 });
		const events = await query((db) => db.select().from(schema.orderEvents).where(eq(schema.orderEvents.orderId, id)));
		expect(events.map((e) => [e.version, e.fillQty]).sort()).toEqual([
			[1, null],
			[2, null],
			[3, 4],
			[4, 6],
		]);
		const outbox = await query((db) => db.select().from(schema.outbox).where(eq(schema.outbox.aggregateId, id)));
		expect(outbox).toHaveLength(4);
	});

	it("a batch with a failing record applies nothing", async () => {
		const good = auditEntry("auth.logout", "client:CREC", "CREC");
		const bad = { ...order(uid("O"), 1, "PENDING", 0), quantity: Number.NaN };
		await expect(
			writeRecords(env, [
				{ kind: "audit", entry: good },
				{ kind: "order", order: bad, event: {} },
			]),
		).rejects.toThrow();
		const rows = await query((db) => db.select().from(schema.auditLog).where(eq(schema.auditLog.id, good.id)));
		expect(rows).toHaveLength(0);
	});

	it("packed messages and single-entry ones (as sent before packing) both land from the real queue", async () => {
		const packed = [auditEntry("auth.logout", "client:CREC", "CREC"), auditEntry("auth.logout", "client:CREC", "CREC")];
		const single = auditEntry("auth.logout", "client:CREC", "CREC");
		const o = order(uid("O"), 1, "PENDING", 0);
		await env.RECORDS.send({
			kind: "records",
			records: [...packed.map((entry) => ({ kind: "audit", entry }) as const), { kind: "order", order: o, event: {} }],
		});
		await env.RECORDS.send({ kind: "audit", entry: single });
		const ids = [...packed, single].map((e) => e.id);
		await eventually(
			async () => (await query((db) => db.select().from(schema.auditLog).where(inArray(schema.auditLog.id, ids)))).length === 3,
			"three audit rows",
			10_000,
		);
		expect(await query((db) => db.select().from(schema.orders).where(eq(schema.orders.id, o.id)))).toHaveLength(1);
	});

	it("a batch bigger than one statement takes (4,000 orders: 76,000 parameters) is written whole", async () => {
		const clientId = uid("CBIG");
		const orders = Array.from({ length: 4000 }, () => order(uid("O"), 1, "PENDING", 0, clientId));
		await writeRecords(
			env,
			orders.map((o) => ({ kind: "order", order: o, event: {} })),
		);
		const [row] = await query((db) =>
			db.select({ n: sql<number>`count(*)::int` }).from(schema.orders).where(eq(schema.orders.clientId, clientId)),
		);
		expect(row?.n).toBe(4000);
	});
});
