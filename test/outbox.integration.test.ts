import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { writeRecords } from "../queues/records";
import { itemAt } from "../scripts/fixtures.ts";
import { auditEntry } from "../src/observability/audit";
import { openDb, schema } from "../src/db/client";
import type { OrderRecord } from "../src/contract";
import { syncHeaders } from "./cdc";
import { orderRecord, uid } from "./fixtures";

const order = (id: string, version: number, status: OrderRecord["status"], filledQty: number) =>
	orderRecord(id, version, status, filledQty, "COUT");
import { call, expectProblem } from "./helpers";

interface Page {
	events: { cursor: string; eventId: string; kind: string; aggregateId: string; payload: unknown }[];
	next: string;
}

async function page(after: string, limit: number): Promise<Page> {
	const res = await call(`/sync/outbox?after=${encodeURIComponent(after)}&limit=${limit}`, { headers: syncHeaders });
	if (res.status !== 200) throw new Error(`outbox ${res.status}: ${await res.text()}`);
	return (await res.json()) as Page;
}

/** The cursor past everything readable now (the outbox is shared with other test files). */
async function endCursor(): Promise<string> {
	let after = "";
	for (;;) {
		const p = await page(after, 1000);
		if (p.events.length === 0) return p.next;
		after = p.next;
	}
}

/** A cursor's two numbers ("<time>.<seq>"). */
const cursorParts = (cursor: string) => {
	const parts = cursor.split(".");
	return { t: BigInt(itemAt(parts, 0, "cursor part")), s: BigInt(itemAt(parts, 1, "cursor part")) };
};

const compareCursors = (a: string, b: string) => {
	const { t: at, s: as } = cursorParts(a);
	const { t: bt, s: bs } = cursorParts(b);
	return at === bt ? Number(as - bs) : Number(at - bt);
};

/** An outbox write held open: its rows get their seq now but commit only after the sleep. */
async function slowWrite(eventIds: string[], holdSeconds: number) {
	const { db, close } = openDb(env, "outbox-test-slow");
	try {
		await db.transaction(async (tx) => {
			for (const eventId of eventIds) {
				await tx.insert(schema.outbox).values({ eventId, kind: "audit", aggregateId: "COUT", payload: { eventId } });
			}
			await tx.execute(sql`SELECT pg_sleep(${holdSeconds})`);
		});
	} finally {
		await close();
	}
}

describe("GET /sync/outbox", () => {
	it("hands back every order, order event with its fill, and audit entry, in commit order", async () => {
		const start = await endCursor();
		const id = uid("O");
		const entry = auditEntry("squareoff.accepted", "client:COUT", "COUT", { orderId: id });
		await writeRecords(env, [
			{ kind: "audit", entry },
			{ kind: "order", order: order(id, 1, "PENDING", 0), event: {} },
		]);
		await writeRecords(env, [
			{ kind: "order", order: { ...order(id, 2, "COMPLETE", 10), avgFillPrice: "101.00" }, event: { fillQty: 10, fillPrice: "101.00" } },
		]);
		const mine = (await page(start, 1000)).events.filter((e) => e.aggregateId === id || e.eventId === `audit:${entry.id}`);
		expect(mine.map((e) => e.kind)).toEqual(["audit", "order", "order_event"]);
		expect(itemAt(mine, 2, "outbox event").payload).toMatchObject({
			order: { id, status: "COMPLETE", filledQty: 10 },
			event: { fillQty: 10, fillPrice: "101.00" },
		});
	});

	it("pages without gaps or repeats while transactions commit out of seq order", async () => {
		let after = await endCursor();
		const prefix = uid("X");
		const expected: string[] = [];
		const writers: Promise<unknown>[] = [];
		for (let w = 0; w < 6; w++) {
			const ids = [0, 1, 2].map((i) => `${prefix}:${w}:${i}`);
			expected.push(...ids);
			// Even writers hold their transaction open (seq taken, commit late); odd ones go through the records consumer.
			writers.push(
				w % 2 === 0
					? slowWrite(ids, 0.3 + w * 0.1)
					: writeRecords(
							env,
							ids.map((eventId) => ({
								kind: "audit" as const,
								entry: { ...auditEntry("auth.logout", "client:COUT", "COUT"), id: eventId },
							})),
						),
			);
		}
		let done = false;
		const allWritten = Promise.all(writers).then(() => {
			done = true;
		});
		const seen: string[] = [];
		let pages = 0;
		for (;;) {
			const finished = done;
			const p = await page(after, 4);
			pages++;
			for (const e of p.events) {
				expect(compareCursors(e.cursor, after)).toBeGreaterThan(0);
				after = e.cursor;
				const id = e.eventId.replace(/^audit:/, "");
				if (id.startsWith(prefix)) seen.push(id);
			}
			expect(p.next).toBe(after);
			if (p.events.length === 0) {
				if (finished) break;
				await new Promise((r) => setTimeout(r, 25));
			}
		}
		await allWritten;
		expect(pages).toBeGreaterThan(2);
		expect([...seen].sort()).toEqual([...expected].sort());
		expect(new Set(seen).size).toBe(seen.length);
	});

	it("answers the same page for the same cursor, and an empty page with next unchanged at the end", async () => {
		const start = await endCursor();
		const ids = [1, 2, 3].map(() => uid("A"));
		await writeRecords(
			env,
			ids.map((id) => ({ kind: "audit" as const, entry: { ...auditEntry("auth.logout", "client:COUT", "COUT"), id } })),
		);
		const first = await page(start, 2);
		expect(await page(start, 2)).toEqual(first);
		const end = await endCursor();
		expect(await page(end, 10)).toEqual({ events: [], next: end });
	});

	it("refuses bad queries and callers without the sync token", async () => {
		await expectProblem(await call("/sync/outbox"), 401, "UNAUTHENTICATED");
		await expectProblem(await call("/sync/outbox?after=42", { headers: syncHeaders }), 400, "INVALID_CURSOR");
		await expectProblem(await call("/sync/outbox?limit=0", { headers: syncHeaders }), 400, "INVALID_REQUEST");
		await expectProblem(await call("/sync/outbox?limit=5000", { headers: syncHeaders }), 400, "INVALID_REQUEST");
	});
});

describe("POST /sync/outbox/ack", () => {
	const ack = (body: unknown) => call("/sync/outbox/ack", { method: "POST", headers: syncHeaders, body: JSON.stringify(body) });

	it("records how far a consumer has taken the outbox, and only ever moves forward", async () => {
		const start = await endCursor();
		await writeRecords(
			env,
			[1, 2].map(() => ({ kind: "audit" as const, entry: auditEntry("auth.logout", "client:COUT", "COUT") })),
		);
		const { events } = await page(start, 1000);
		const consumer = `primary-${uid()}`;
		const [first, last] = [itemAt(events, 0, "outbox event").cursor, events.at(-1)?.cursor];
		let res = await ack({ consumer, cursor: last });
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ consumer, cursor: last });
		res = await ack({ consumer, cursor: first });
		expect(await res.json()).toMatchObject({ consumer, cursor: last });
	});

	it("refuses a cursor no event has (422) and a malformed one (400)", async () => {
		await expectProblem(await ack({ cursor: "999999999999.1" }), 422, "UNKNOWN_CURSOR");
		await expectProblem(await ack({ cursor: "abc" }), 400, "INVALID_CURSOR");
		await expectProblem(await ack({}), 400, "INVALID_BODY");
	});
});
