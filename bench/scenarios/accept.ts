// 2. accept: POST /api/square-offs spread over many signed-in clients (autocannon), with the
// OMS batching its events; with two diagnostics: the accept path alone (requests the Account
// refuses) and the accept run with the OMS posting one event per request, or none; and the
// Postgres statements the Accounts run during the accept run (4. in the report).
import { itemAt, sleep } from "../../scripts/fixtures.ts";
import type { Stack } from "../../scripts/stack.ts";
import type { OmsControl } from "../../simulators/oms.ts";
import { acceptToOms, type BenchClient, drainTo, omsControl, pool } from "../clients.ts";
import { CONNECTIONS, EVENT_BATCH_MS, SECONDS } from "../config.ts";
import { load } from "../load.ts";
import { costPer, platformSnapshot } from "../platform-calls.ts";

/** The accept clients, signed in (cookies[i] is clients[i]'s) with their positions loaded once. */
export interface AcceptContext {
	stack: Stack;
	clients: BenchClient[];
	cookies: string[];
}

export async function runAccept({ stack, clients, cookies }: AcceptContext) {
	const site = stack.url;
	const traders = clients.map((client, i) => ({
		clientId: client.clientId,
		cookie: itemAt(cookies, i, "cookie"),
		positionId: itemAt(client.positionIds, 0, "position"),
	}));
	/** Square-offs of `quantity` spread round-robin over the accept clients, each with its own key. */
	const squareOffLoad = (quantity: number) => {
		let sent = 0;
		return load({
			url: site,
			connections: CONNECTIONS,
			duration: SECONDS,
			requests: [
				{
					method: "POST",
					path: "/api/square-offs",
					setupRequest: (req) => {
						const { cookie, positionId } = itemAt(traders, sent++ % traders.length);
						return {
							...req,
							headers: { "content-type": "application/json", origin: site, cookie, "idempotency-key": crypto.randomUUID() },
							body: JSON.stringify({ positionId, quantity }),
						};
					},
				},
			],
		});
	};
	// Diagnostic: the same accept path (session, failover check, Account RPC with its idempotency
	// record) for requests the Account refuses (422: more than is open), so no order, relay or
	// record follows. The gap between this and the accept run is the pipeline sharing the thread.
	console.log(`accept path alone (refused 422, no pipeline), ${SECONDS} s ...`);
	const path = await squareOffLoad(1_000_000_000);

	let ordersAtOms = 0;
	/** An accept run with the OMS set up as given, then the wait for its orders to reach the OMS. */
	const acceptRun = async (label: string, oms: Partial<OmsControl>) => {
		console.log(`accept (${label}): POST /api/square-offs over ${clients.length} clients, ${CONNECTIONS} connections, ${SECONDS} s ...`);
		await omsControl(stack.oms.url, oms);
		const result = await squareOffLoad(1);
		const drainStart = Date.now();
		const before = ordersAtOms;
		ordersAtOms = await drainTo(stack.oms.url, before + result.ok);
		const drain = { orders: ordersAtOms - before, seconds: (Date.now() - drainStart) / 1000 };
		// The next run starts on a quiet site: the records of these orders leave within a second.
		await sleep(2000);
		return { ...result, drain };
	};

	const labels = clients.map((c) => `account:${c.clientId}`);
	const before = await platformSnapshot(stack, labels);
	const batched = await acceptRun(`OMS batching its events every ${EVENT_BATCH_MS} ms`, { eventBatchMs: EVENT_BATCH_MS });
	const after = await platformSnapshot(stack, labels);
	// Each square-off here is one order; those in flight when the load stopped count too.
	const perSquareOff = costPer(before, after, batched.drain.orders);
	const relay = (await pool(traders, 8, (t) => acceptToOms(site, stack.oms.url, t.clientId, t.cookie))).flat();
	// Diagnostics: the same run with an OMS that posts each event in its own request, and with
	// one that posts none (the relay still runs), so the share of the inbound events shows.
	const perEvent = await acceptRun("OMS posting one event per request", { eventBatchMs: 0 });
	const silent = await acceptRun("OMS posting no events", { silent: true });
	await omsControl(stack.oms.url, { silent: false, eventBatchMs: EVENT_BATCH_MS });
	return {
		path,
		batched,
		perEvent,
		silent,
		relay,
		statementsBefore: before.pgStatements,
		statementsAfter: after.pgStatements,
		perSquareOff,
	};
}

export type AcceptResults = Awaited<ReturnType<typeof runAccept>>;
