// Helpers for the trading and relay tests: a signed-in trader, the OMS simulator's per-client
// controls and stats, signed OMS events, and polling with a deadline (never a fixed sleep).
import { type QueueKind, queueName } from "../queues/kinds";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { queue } from "../queues/index";
import { signatureHeaders } from "../src/relay/signature";
import type { OmsEvent, Order, Position, RelayOrder } from "../src/contract";
import { openSession } from "./fixtures";
import { call, SITE } from "./helpers";

import { eventually } from "./helpers";

export { eventually };

export interface Trader {
	clientId: string;
	cookie: string;
	post(path: string, body?: unknown, key?: string | null): Promise<Response>;
	positions(): Promise<Position[]>;
	orders(): Promise<Order[]>;
	order(id: string): Promise<Order>;
}

export async function trader(clientId: string): Promise<Trader> {
	const { cookie } = await openSession(clientId);
	const t: Trader = {
		clientId,
		cookie,
		post: (path, body, key = crypto.randomUUID()) =>
			call(path, {
				method: "POST",
				headers: {
					cookie,
					origin: SITE,
					...(body === undefined ? {} : { "content-type": "application/json" }),
					...(key === null ? {} : { "idempotency-key": key }),
				},
				body: body === undefined ? undefined : JSON.stringify(body),
			}),
		positions: async () => ((await (await call("/api/positions", { headers: { cookie } })).json()) as { positions: Position[] }).positions,
		orders: async () => ((await (await call("/api/orders", { headers: { cookie } })).json()) as { orders: Order[] }).orders,
		order: async (id) => {
			const o = (await t.orders()).find((x) => x.id === id);
			if (!o) throw new Error(`order ${id} not listed`);
			return o;
		},
	};
	return t;
}

/** Waits until the trader's order has `status`, and returns it. */
export const statusIs = (t: Trader, id: string, status: Order["status"], timeoutMs?: number) =>
	eventually(
		async () => {
			const o = await t.order(id);
			return o.status === status && o;
		},
		`order ${id} ${status}`,
		timeoutMs,
	);

export interface SimStats {
	requests: number;
	duplicates: number;
	cancels: number;
	errors: number;
	hung: number;
	eventsSent: number;
	eventRequests: number;
	distinctOrders: number;
	orders: (Record<string, unknown> & { orderId: string; receivedAt: number; marketProtection?: number })[];
}

export async function omsStats(clientId: string): Promise<SimStats> {
	return (await (await fetch(`${inject("omsUrl")}/__stats?clientId=${clientId}`)).json()) as SimStats;
}

/** Behaviour for this client's orders only (the simulator is shared by every test file). */
export async function omsBehaviour(clientId: string, behaviour: Record<string, unknown>) {
	await fetch(`${inject("omsUrl")}/__control`, { method: "POST", body: JSON.stringify({ clients: { [clientId]: behaviour } }) });
}

/** Orders the primary placed before it went down: the OMS simulator holds them open. */
/** Orders the primary placed before it went down (they carry no expiry of ours). */
export async function omsExistingOrders(orders: Omit<RelayOrder, "expiresAt">[]) {
	await fetch(`${inject("omsUrl")}/__control`, { method: "POST", body: JSON.stringify({ existingOrders: orders }) });
}

/** The collector's view of one client's alerts: those delivered, and how many deliveries it refused. */
interface AlertSink {
	alerts: { text: string; event: string }[];
	refused: number;
}

/** Ops alerts about this client's orders (ALERT_WEBHOOK_URL points at the primary simulator's collector in tests). */
export async function alertsFor(clientId: string): Promise<AlertSink["alerts"]> {
	return (await alertSink(clientId)).alerts;
}

export async function alertSink(clientId: string): Promise<AlertSink> {
	return (await (await fetch(`${inject("primaryUrl")}/__alerts?clientId=${clientId}`)).json()) as AlertSink;
}

/** The collector answers the next `count` alerts about this client with 503. */
export async function refuseAlerts(clientId: string, count: number) {
	await fetch(`${inject("primaryUrl")}/__control`, { method: "POST", body: JSON.stringify({ refuseAlerts: { [clientId]: count } }) });
}

type TestOmsEvent = Omit<OmsEvent, "eventId" | "at"> & { eventId?: string };
/** How a test signs an event: by default as the OMS does (its own key, POST /oms/events, now). */
type SigningOptions = { nowSeconds?: number; secret?: string; method?: string; path?: string };

const fullEvent = (e: TestOmsEvent): OmsEvent => ({ eventId: crypto.randomUUID(), at: new Date().toISOString(), ...e });

/** Posts a signed OMS event to the Worker, as the OMS would. */
export function omsEvent(e: TestOmsEvent, opts: SigningOptions = {}): Promise<Response> {
	return postSignedEvents(JSON.stringify(fullEvent(e)), opts);
}

/** Posts many OMS events in one signed request, `{ events: [...] }`, as a batching OMS would. */
export function omsEventBatch(events: TestOmsEvent[], opts: SigningOptions = {}): Promise<Response> {
	return postSignedEvents(JSON.stringify({ events: events.map(fullEvent) }), opts);
}

/** Posts a raw body to POST /oms/events, signed as the OMS would sign it. */
export async function postSignedEvents(body: string, opts: SigningOptions = {}): Promise<Response> {
	const headers = await signatureHeaders(
		opts.secret ?? env.OMS_EVENTS_HMAC_SECRET,
		{ method: opts.method ?? "POST", path: opts.path ?? "/oms/events", body },
		opts.nowSeconds,
	);
	return call("/oms/events", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

/** Hands a batch straight to the Worker's queue handler, as the runtime would: whether it threw, and what it acked or retried. */
export async function deliver<T>(kind: QueueKind, bodies: T[], workerEnv: Env) {
	const batch = createMessageBatch(
		queueName(workerEnv, kind),
		bodies.map((body, i) => ({ id: `m${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
	);
	const ctx = createExecutionContext();
	const threw = await queue(batch as MessageBatch<never>, workerEnv, ctx).then(
		() => false,
		() => true,
	);
	return { threw, result: await getQueueResult(batch, ctx) };
}
