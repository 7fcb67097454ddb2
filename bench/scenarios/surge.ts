// 3. surge: N traders at once, each: password + TOTP sign-in, positions, the live order socket,
// exit all, wait for every order COMPLETE; with the OMS batching its events, and (diagnostic)
// posting one event per request.
import WebSocket from "ws";
import { sleep } from "../../scripts/fixtures.ts";
import type { Stack } from "../../scripts/stack.ts";
import type { Order, Position } from "../../src/contract/index.ts";
import { acceptToOms, type BenchClient, type BenchPosition, getJson, omsControl, signIn } from "../clients.ts";
import { EVENT_BATCH_MS } from "../config.ts";
import { costPer, platformSnapshot } from "../platform-calls.ts";

/** Each surge trader's positions. */
export const SURGE_POSITIONS: readonly BenchPosition[] = [
	{ segment: "EQ", netQty: 500 },
	{ segment: "FUT", netQty: -4500 }, // 2 freeze slices + 1
	{ segment: "FUT", netQty: 1500 },
];

const FINAL = new Set(["COMPLETE", "REJECTED", "CANCELLED", "FAILED"]);

/** The trader's live order socket (GET /api/orders/live): the latest state of each order it pushed. */
async function openLive(site: string, cookie: string) {
	const orders = new Map<string, Order>();
	let wake: (() => void) | null = null;
	const ws = new WebSocket(`${site.replace(/^http/, "ws")}/api/orders/live`, { headers: { cookie, origin: site } });
	ws.on("message", (data) => {
		const msg = JSON.parse(String(data)) as { type: string; order?: Order };
		if (msg.type === "order" && msg.order) orders.set(msg.order.id, msg.order);
		wake?.();
	});
	await new Promise<void>((resolve, reject) => {
		ws.once("open", () => resolve());
		ws.once("error", reject);
	});
	return {
		orders,
		/** Resolves on the next pushed message, or after `ms`. */
		changed: (ms: number) =>
			new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, ms);
				wake = () => {
					clearTimeout(timer);
					resolve();
				};
			}),
		close: () => ws.close(),
	};
}

/** N traders at once, each: sign in, positions, live socket, exit all, wait for every order final. */
async function surgeRun(stack: Stack, label: string, clients: BenchClient[], ipBlock: number) {
	const site = stack.url;
	console.log(`surge (${label}): ${clients.length} traders at once ...`);
	const errors: string[] = [];
	const start = Date.now();
	const traders = await Promise.all(
		clients.map(async (c, i) => {
			const t0 = Date.now();
			let accepted = 0;
			let orderCount = 0;
			try {
				const cookie = await signIn(site, c.clientId, `10.${ipBlock}.${i >> 8}.${i & 255}`);
				const { positions } = await getJson<{ positions: Position[] }>(site, "/api/positions", cookie);
				if (positions.length !== c.positionIds.length) throw new Error(`${c.clientId}: ${positions.length} positions`);
				// Like the UI: order states arrive on the live socket; a slow poll is only the fallback.
				const live = await openLive(site, cookie);
				try {
					const res = await fetch(`${site}/api/square-offs/all`, {
						method: "POST",
						headers: { "content-type": "application/json", origin: site, cookie, "idempotency-key": crypto.randomUUID() },
						body: "{}",
					});
					if (res.status !== 202) throw new Error(`${c.clientId}: exit all ${res.status} ${await res.text()}`);
					accepted = Date.now() - t0;
					const { orders } = (await res.json()) as { orders: Order[] };
					orderCount = orders.length;
					for (let polled = Date.now(); ; ) {
						const mine = orders.map((o) => live.orders.get(o.id) ?? o);
						if (mine.every((o) => FINAL.has(o.status))) {
							const bad = mine.filter((o) => o.status !== "COMPLETE");
							const [firstBad] = bad;
							if (firstBad) throw new Error(`${c.clientId}: ${bad.length} orders ended ${firstBad.status}`);
							break;
						}
						if (Date.now() - t0 > 120_000) throw new Error(`${c.clientId}: orders not final after 120 s`);
						if (Date.now() - polled > 5000) {
							for (const o of (await getJson<{ orders: Order[] }>(site, "/api/orders", cookie)).orders) live.orders.set(o.id, o);
							polled = Date.now();
						}
						await live.changed(1000);
					}
				} finally {
					live.close();
				}
				return {
					ok: true,
					accepted,
					total: Date.now() - t0,
					orders: orderCount,
					relay: await acceptToOms(site, stack.oms.url, c.clientId, cookie),
				};
			} catch (err) {
				errors.push(String(err));
				return { ok: false, accepted: 0, total: 0, orders: 0, relay: [] as number[] };
			}
		}),
	);
	const done = traders.filter((s) => s.ok);
	return { done, errors, seconds: (Date.now() - start) / 1000, relay: done.flatMap((s) => s.relay) };
}

export type SurgeRun = Awaited<ReturnType<typeof surgeRun>>;

/** The surge with the OMS batching its events (traders signing in from 10.2.x.x), then the per-event diagnostic (10.3.x.x). */
export async function runSurge(stack: Stack, batchedClients: BenchClient[], perEventClients: BenchClient[]) {
	const labels = batchedClients.map((c) => `account:${c.clientId}`);
	const before = await platformSnapshot(stack, labels);
	const batched = await surgeRun(stack, `OMS batching its events every ${EVENT_BATCH_MS} ms`, batchedClients, 2);
	await sleep(2000); // the last records leave the Accounts within a second
	// What one trader's whole exit cost: sign-in, first positions load, live socket, exit all, its orders' events.
	const perTrader = costPer(before, await platformSnapshot(stack, labels), batched.done.length);
	// Diagnostic: the same surge with an OMS posting one event per request.
	await omsControl(stack.oms.url, { eventBatchMs: 0 });
	await sleep(2000);
	const perEvent = await surgeRun(stack, "OMS posting one event per request", perEventClients, 3);
	return { batched, perEvent, perTrader, errors: [...batched.errors, ...perEvent.errors] };
}

export type SurgeResults = Awaited<ReturnType<typeof runSurge>>;
