// Simulator of the broker's order-management system (never deployed). It takes relayed
// orders the way a real OMS would (idempotent by Idempotency-Key, signature checked),
// acknowledges and fills them after configurable delays by posting signed events back to
// Lifeboat, and can be told to misbehave:
//   POST /__control { mode, ackDelayMs, fillDelayMs, failRate, hangRate, ... }
//   POST /__control { clients: { "<clientId>": { mode: "error", failTimes: 3, ... } } }
//        behaviour for one client only (tests share the simulator: each uses its own client)
//   POST /__control { eventBatchMs: 20 }   post events in batches, as `{ events: [...] }`
//   POST /__control { existingOrders: [RelayOrder] }   orders the primary placed, open here
//   GET  /__stats[?clientId=X]   counts of requests, distinct orders and duplicates
//   GET  /health   200 normally; 503 in global mode "error", no answer in "hang" (per-client behaviours don't touch it)
import http from "node:http";
import { randomUUID } from "node:crypto";
import { assertHmacSecrets, checkSignature, signatureHeaders, signedPath } from "../src/relay/signature.ts";
import { MAX_OMS_EVENTS_PER_REQUEST, type OmsEvent, type RelayOrder } from "../src/contract/index.ts";
import { close, listen, readBody, sendJson } from "./http.ts";

export interface OmsControl {
	/** accept: take and fill; reject: refuse with 422; error: answer 503; hang: never answer. */
	mode: "accept" | "reject" | "error" | "hang";
	/** Fraction (0..1) of order requests answered 503 even in accept mode. */
	failRate: number;
	/** Fraction (0..1) of order requests that hang past any sane timeout. */
	hangRate: number;
	ackDelayMs: number;
	fillDelayMs: number;
	/** Split each fill into this many partial fills. */
	fillParts: number;
	/** Send every event twice. */
	duplicateEvents: boolean;
	/** Do not fill: orders stay open (for cancel tests). */
	holdFills: boolean;
	fillPrice: string | null;
	/** Send the fills before the acknowledgement (events out of order). */
	outOfOrder: boolean;
	/** Take orders but post no events at all (an OMS whose postbacks are down). */
	silent: boolean;
	/** 0: one event per request. Above 0: hold events up to this long and post them together as `{ events: [...] }`. */
	eventBatchMs: number;
}

/** Per-client overrides: any control field, plus "the first N order requests fail / hang". */
export interface ClientBehaviour extends Partial<OmsControl> {
	failTimes?: number;
	hangTimes?: number;
	/** Take the order, then never answer (the caller times out and sends it again). */
	loseAnswerTimes?: number;
	/** Answer 504 after the OMS behind the gateway took the order (or already had it), as a gateway that timed out would. */
	gatewayTimeoutTimes?: number;
	/** Answer order lookups (GET /orders/:id) with 503. */
	lookupsFail?: boolean;
}

interface ClientStats {
	requests: number;
	duplicates: number;
	cancels: number;
	errors: number;
	hung: number;
	/** Events about this client posted back, and the requests that carried them. */
	eventsSent: number;
	eventRequests: number;
}

const defaults: OmsControl = {
	mode: "accept",
	failRate: 0,
	hangRate: 0,
	ackDelayMs: 20,
	fillDelayMs: 50,
	fillParts: 1,
	duplicateEvents: false,
	holdFills: false,
	fillPrice: null,
	outOfOrder: false,
	silent: false,
	eventBatchMs: 0,
};

interface SimOrder {
	order: RelayOrder;
	receivedAt: number;
	filled: number;
	state: "OPEN" | "COMPLETE" | "CANCELLED" | "REJECTED";
}

/**
 * `relaySecret` checks what Lifeboat sends (OMS_RELAY_HMAC_SECRET), `eventsSecret` signs the
 * events posted back (OMS_EVENTS_HMAC_SECRET); either shorter than 32 bytes refuses to start.
 */
export async function startOmsSimulator(opts: { port?: number; relaySecret: string; eventsSecret: string; eventsUrl?: string }) {
	assertHmacSecrets({ OMS_RELAY_HMAC_SECRET: opts.relaySecret, OMS_EVENTS_HMAC_SECRET: opts.eventsSecret }, [
		"OMS_RELAY_HMAC_SECRET",
		"OMS_EVENTS_HMAC_SECRET",
	]);
	const control: OmsControl = { ...defaults };
	const orders = new Map<string, SimOrder>();
	const stats = {
		requests: 0,
		duplicates: 0,
		rejected: 0,
		errors: 0,
		hung: 0,
		badSignatures: 0,
		expired: 0,
		lookups: 0,
		cancels: 0,
		eventsSent: 0,
		eventErrors: 0,
		eventRequests: 0,
		healthChecks: 0,
	};
	const heldEvents: OmsEvent[] = [];
	let flushTimer: ReturnType<typeof setTimeout> | undefined;
	let eventsUrl = opts.eventsUrl ?? "";
	const hanging = new Set<http.ServerResponse>();
	const behaviours = new Map<string, ClientBehaviour>();
	const clientStats = new Map<string, ClientStats>();
	const behaviourOf = (clientId: string): OmsControl & ClientBehaviour => ({ ...control, ...behaviours.get(clientId) });
	const statsOf = (clientId: string) => {
		const s = clientStats.get(clientId) ?? { requests: 0, duplicates: 0, cancels: 0, errors: 0, hung: 0, eventsSent: 0, eventRequests: 0 };
		clientStats.set(clientId, s);
		return s;
	};
	/** Spends one of a client's "first N requests" failures or hangs. */
	const spend = (clientId: string, key: "failTimes" | "hangTimes" | "loseAnswerTimes" | "gatewayTimeoutTimes") => {
		const b = behaviours.get(clientId);
		if (!b?.[key]) return false;
		b[key] -= 1;
		return true;
	};

	async function postEvents(events: OmsEvent[], asBatch: boolean) {
		const body = JSON.stringify(asBatch ? { events } : events[0]);
		stats.eventRequests++;
		stats.eventsSent += events.length;
		for (const e of events) statsOf(e.clientId).eventsSent++;
		for (const clientId of new Set(events.map((e) => e.clientId))) statsOf(clientId).eventRequests++;
		try {
			const res = await fetch(eventsUrl, {
				method: "POST",
				headers: {
					"content-type": "application/json",
					...(await signatureHeaders(opts.eventsSecret, { method: "POST", path: signedPath(eventsUrl), body })),
				},
				body,
			});
			if (!res.ok) stats.eventErrors += events.length;
		} catch {
			stats.eventErrors += events.length;
		}
	}

	function flushHeld() {
		clearTimeout(flushTimer);
		flushTimer = undefined;
		const events = heldEvents.splice(0, MAX_OMS_EVENTS_PER_REQUEST);
		if (events.length > 0) void postEvents(events, true);
		if (heldEvents.length > 0) flushHeld();
	}

	async function emit(event: Omit<OmsEvent, "eventId" | "at">) {
		if (!eventsUrl) return;
		const full: OmsEvent = { eventId: randomUUID(), at: new Date().toISOString(), ...event };
		const b = behaviourOf(event.clientId);
		for (let i = 0; i < (b.duplicateEvents ? 2 : 1); i++) {
			if (b.eventBatchMs <= 0) {
				await postEvents([full], false);
				continue;
			}
			heldEvents.push(full);
			if (heldEvents.length >= MAX_OMS_EVENTS_PER_REQUEST) flushHeld();
			else flushTimer ??= setTimeout(flushHeld, b.eventBatchMs);
		}
	}

	function lifecycle(id: string) {
		const o = orders.get(id)!;
		const clientId = o.order.clientId;
		const b = behaviourOf(clientId);
		if (b.silent) return;
		const fills = async () => {
			const parts = Math.max(1, b.fillParts);
			for (let p = 0; p < parts && o.state === "OPEN"; p++) {
				const qty = p === parts - 1 ? o.order.quantity - o.filled : Math.floor(o.order.quantity / parts);
				if (qty <= 0) continue;
				o.filled += qty;
				if (o.filled >= o.order.quantity) o.state = "COMPLETE";
				await emit({ orderId: id, clientId, type: "FILL", fillQty: qty, fillPrice: b.fillPrice ?? o.order.price ?? "100.00" });
			}
		};
		setTimeout(async () => {
			if (b.outOfOrder && !b.holdFills) await fills();
			await emit({ orderId: id, clientId, type: "ACK" });
			if (b.holdFills || b.outOfOrder) return;
			setTimeout(fills, b.fillDelayMs);
		}, b.ackDelayMs);
	}

	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://oms");
		const body = await readBody(req);
		if (url.pathname === "/__control") {
			if (req.method === "POST") {
				const patch = JSON.parse(body || "{}");
				if (patch.reset) {
					Object.assign(control, defaults);
					orders.clear();
					heldEvents.length = 0;
					behaviours.clear();
					clientStats.clear();
					for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] = 0;
				}
				if (patch.eventsUrl) eventsUrl = patch.eventsUrl;
				// Orders the primary placed before it went down: the OMS holds them, open.
				for (const order of (patch.existingOrders ?? []) as RelayOrder[])
					orders.set(order.orderId, { order, receivedAt: Date.now(), filled: 0, state: "OPEN" });
				for (const [clientId, b] of Object.entries((patch.clients ?? {}) as Record<string, ClientBehaviour>))
					behaviours.set(clientId, { ...b });
				for (const k of Object.keys(defaults) as (keyof OmsControl)[]) if (k in patch) Object.assign(control, { [k]: patch[k] });
			}
			return sendJson(res, 200, control);
		}
		if (url.pathname === "/__stats" && url.searchParams.has("clientId")) {
			const clientId = url.searchParams.get("clientId") ?? "";
			const mine = [...orders.values()].filter((o) => o.order.clientId === clientId);
			return sendJson(res, 200, {
				...statsOf(clientId),
				distinctOrders: mine.length,
				orders: mine.map((o) => ({ ...o.order, receivedAt: o.receivedAt, filled: o.filled, state: o.state })),
			});
		}
		if (url.pathname === "/__stats") {
			return sendJson(res, 200, {
				...stats,
				distinctOrders: orders.size,
				orders: [...orders.values()].map((o) => ({ ...o.order, filled: o.filled, state: o.state })),
			});
		}
		// The health check Lifeboat probes (api.md "OMS reachability"): down with the whole OMS only.
		if (url.pathname === "/health" && req.method === "GET") {
			stats.healthChecks++;
			if (control.mode === "hang") {
				hanging.add(res);
				return;
			}
			if (control.mode === "error") return sendJson(res, 503, { status: "down" });
			return sendJson(res, 200, { status: "ok" });
		}
		const sig = await checkSignature(
			opts.relaySecret,
			{ method: req.method ?? "", path: `${url.pathname}${url.search}`, body },
			{ get: (n) => (req.headers[n] as string | undefined) ?? null },
		);
		if (!sig.ok) {
			stats.badSignatures++;
			return sendJson(res, 401, { error: `signature ${sig.reason}` });
		}
		const lookup = req.method === "GET" ? url.pathname.match(/^\/orders\/([^/]+)$/)?.[1] : undefined;
		if (lookup) {
			const o = orders.get(decodeURIComponent(lookup));
			const b = behaviourOf(o?.order.clientId ?? url.searchParams.get("clientId") ?? "");
			stats.lookups++;
			if (b.mode === "hang") {
				hanging.add(res);
				return;
			}
			if (b.mode === "error" || b.lookupsFail) return sendJson(res, 503, { error: "OMS temporarily unavailable" });
			if (!o) return sendJson(res, 404, { error: "unknown order" });
			const avgPrice = o.filled > 0 ? (b.fillPrice ?? o.order.price ?? "100.00") : undefined;
			return sendJson(res, 200, { orderId: o.order.orderId, status: o.state, filledQty: o.filled, ...(avgPrice ? { avgPrice } : {}) });
		}
		const cancel = url.pathname.match(/^\/orders\/([^/]+)\/cancel$/)?.[1];
		if (req.method === "POST" && (url.pathname === "/orders" || cancel)) {
			const payload = JSON.parse(body || "{}") as { clientId?: string };
			const clientId = payload.clientId ?? "";
			const b = behaviourOf(clientId);
			const cs = statsOf(clientId);
			stats.requests++;
			cs.requests++;
			if (b.mode === "hang" || Math.random() < b.hangRate || (!cancel && spend(clientId, "hangTimes"))) {
				stats.hung++;
				cs.hung++;
				hanging.add(res);
				return;
			}
			if (b.mode === "error" || Math.random() < b.failRate || (!cancel && spend(clientId, "failTimes"))) {
				stats.errors++;
				cs.errors++;
				return sendJson(res, 503, { error: "OMS temporarily unavailable" });
			}
			if (cancel) {
				stats.cancels++;
				cs.cancels++;
				const o = orders.get(cancel);
				if (!o) return sendJson(res, 404, { error: "unknown order" });
				if (o.state !== "OPEN") return sendJson(res, 409, { error: `order is ${o.state}`, state: o.state });
				o.state = "CANCELLED";
				void emit({ orderId: cancel, clientId: o.order.clientId, type: "CANCELLED" });
				return sendJson(res, 200, { orderId: cancel, status: "CANCELLED" });
			}
			const order = payload as RelayOrder;
			const key = req.headers["idempotency-key"];
			if (key !== order.orderId) return sendJson(res, 400, { error: "Idempotency-Key must be the order id" });
			const gatewayTimeout = () => sendJson(res, 504, { error: "gateway timeout" });
			if (orders.has(order.orderId)) {
				stats.duplicates++;
				cs.duplicates++;
				if (spend(clientId, "gatewayTimeoutTimes")) return gatewayTimeout();
				return sendJson(res, 409, { orderId: order.orderId, status: "DUPLICATE" });
			}
			// A real OMS refuses an order past the expiry it carries: a late exit is a different trade.
			if (order.expiresAt && Date.parse(order.expiresAt) <= Date.now()) {
				stats.expired++;
				return sendJson(res, 422, { code: "ORDER_EXPIRED", reason: "order expired before it reached the exchange" });
			}
			if (b.mode === "reject") {
				stats.rejected++;
				return sendJson(res, 422, { error: "RMS: insufficient margin", reason: "RMS: insufficient margin" });
			}
			orders.set(order.orderId, { order, receivedAt: Date.now(), filled: 0, state: "OPEN" });
			lifecycle(order.orderId);
			if (spend(clientId, "loseAnswerTimes")) {
				cs.hung++;
				hanging.add(res);
				return;
			}
			if (spend(clientId, "gatewayTimeoutTimes")) return gatewayTimeout();
			return sendJson(res, 201, { orderId: order.orderId, status: "OPEN" });
		}
		sendJson(res, 404, { error: "not found" });
	});
	const port = await listen(server, opts.port ?? 0);
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		control,
		stats,
		setEventsUrl: (u: string) => {
			eventsUrl = u;
		},
		stop: async () => {
			clearTimeout(flushTimer);
			for (const res of hanging) res.destroy();
			await close(server);
		},
	};
}

if (import.meta.main) {
	const sim = await startOmsSimulator({
		port: Number(process.env.PORT ?? 8788),
		relaySecret: process.env.OMS_RELAY_HMAC_SECRET ?? "",
		eventsSecret: process.env.OMS_EVENTS_HMAC_SECRET ?? "",
		eventsUrl: process.env.EVENTS_URL,
	});
	console.log(`OMS simulator on ${sim.url}`);
}
