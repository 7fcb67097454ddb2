// Accept-to-OMS latency: for N single-unit square-offs, the time from sending the request to
// its 202 (accept), and from sending it to the OMS simulator receiving the order (relay).
// Prints p50/p99/max. Sequential by default (latency, not throughput); BENCH_CONCURRENCY > 1
// sends that many at once.
import { expect, it } from "vitest";
import { itemAt } from "../../scripts/fixtures.ts";
import type { Order } from "../../src/contract";
import { createClient } from "../../test/fixtures";
import { setFailover } from "../../test/helpers";
import { eventually, omsStats, trader } from "../../test/trading-helpers";
import { pct } from "../stats.ts";

const N = 200;
const CONCURRENCY = 10;

it(`relay latency over ${N} orders`, async () => {
	await setFailover(true);
	const c = await createClient({ positions: [{ instrument: { segment: "EQ" }, netQty: N, product: "MIS" }] });
	const t = await trader(c.clientId);
	await t.positions(); // the first use loads from Postgres; not part of the hot path being measured
	const sentAt = new Map<string, number>();
	const accept: number[] = [];
	for (let i = 0; i < N; i += CONCURRENCY) {
		await Promise.all(
			Array.from({ length: Math.min(CONCURRENCY, N - i) }, async () => {
				const t0 = Date.now();
				const res = await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 1 });
				accept.push(Date.now() - t0);
				expect(res.status).toBe(202);
				const { orders } = (await res.json()) as { orders: Order[] };
				sentAt.set(itemAt(orders, 0, "order").id, t0);
			}),
		);
	}
	const stats = await eventually(
		async () => {
			const s = await omsStats(c.clientId);
			return s.distinctOrders === N && s;
		},
		"all orders at the OMS",
		120_000,
	);
	const relay = stats.orders.map((o) => o.receivedAt - (sentAt.get(o.orderId) ?? Number.NaN));
	const row = (name: string, xs: number[]) =>
		`${name.padEnd(22)} ${String(pct(xs, 50)).padStart(6)} ${String(pct(xs, 99)).padStart(6)} ${String(Math.max(...xs)).padStart(6)}`;
	console.log(
		[
			`\nrelay latency, ${N} orders, ${CONCURRENCY} at a time (ms)`,
			`${"".padEnd(22)} ${"p50".padStart(6)} ${"p99".padStart(6)} ${"max".padStart(6)}`,
			row("request -> 202", accept),
			row("request -> OMS has it", relay),
		].join("\n"),
	);
});
