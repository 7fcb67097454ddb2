// Consumers of the orders queue (relay to the OMS) and of its dead-letter queue (FAILED + ops
// alert). Delivery is at least once and unordered, so every step is safe to repeat: the OMS
// dedupes by Idempotency-Key (= order id), and the Account only moves an order forward.
import { type Alert, sendAlert } from "../src/observability/alerts";
import { audit, auditEntry } from "../src/observability/audit";
import { log, logForClient } from "../src/observability/log";
import { omsTrouble, suspectOms } from "../src/failover/oms-suspect";
import { signatureHeaders, signedPath } from "../src/relay/signature";
import { retryDelaySeconds } from "../src/relay/backoff";
import { assertNever, type OmsLookup, type OrderMessage, type RelayOrder, type RelayOutcome } from "../src/contract";
import type { Account } from "../durable-objects/account";

type OmsAnswer = { status: number; body: Record<string, unknown> } | { status: null; error: string };
type Step = { done: true } | { done: false; reason: string };

async function callOms(env: Env, method: "GET" | "POST", path: string, payload: unknown, idempotencyKey?: string): Promise<OmsAnswer> {
	const text = method === "GET" ? "" : JSON.stringify(payload);
	const url = `${env.OMS_URL}${path}`;
	try {
		const res = await fetch(url, {
			method,
			headers: {
				...(method === "GET" ? {} : { "content-type": "application/json" }),
				...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
				...(await signatureHeaders(env.OMS_RELAY_HMAC_SECRET, { method, path: signedPath(url), body: text })),
			},
			...(method === "GET" ? {} : { body: text }),
			signal: AbortSignal.timeout(Number(env.OMS_TIMEOUT_MS)),
		});
		const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
		if (omsTrouble(res.status)) await suspectOms(env, `${path}: HTTP ${res.status}`);
		return { status: res.status, body };
	} catch (err) {
		const error = err instanceof Error && err.name === "TimeoutError" ? "timeout" : String(err);
		await suspectOms(env, `${path}: ${error}`);
		return { status: null, error };
	}
}

/**
 * 401/403/429 are about us (credentials, rate), not the order: retried, and if they persist the
 * order ends FAILED with ops alerted rather than silently REJECTED.
 */
const retryable = (a: OmsAnswer) => a.status === null || a.status >= 500 || a.status === 401 || a.status === 403 || a.status === 429;
/**
 * Answers that do not say whether the OMS took the order: a 500 (it failed somewhere in the
 * middle), a 502 or 504 (a gateway in front of it lost the OMS's answer). 503 says it was not taken.
 */
const UNSURE_STATUSES = new Set([500, 502, 504]);
const describe = (a: OmsAnswer) => (a.status === null ? a.error : `HTTP ${a.status}`);

/**
 * Places one client's orders from a batch: one Account call to learn which are still PENDING,
 * the OMS calls side by side, one Account call with what they answered. A step per order id.
 */
async function place(env: Env, clientId: string, orders: RelayOrder[]): Promise<Map<string, Step>> {
	const account = env.ACCOUNTS.getByName(clientId);
	const unique = [...new Map(orders.map((o) => [o.orderId, o])).values()];
	const toSend = new Set(await account.beginRelay(unique.map((o) => o.orderId)));
	const steps = new Map<string, Step>(unique.map((o) => [o.orderId, { done: true }]));
	const outcomes: { orderId: string; outcome: RelayOutcome }[] = [];
	await Promise.all(
		unique
			.filter((o) => toSend.has(o.orderId))
			.map(async (order) => {
				const answer = await callOms(env, "POST", "/orders", order, order.orderId);
				if (answer.status === null || UNSURE_STATUSES.has(answer.status)) {
					// The OMS may have taken it. Retried (it dedupes by order id) and counted until it says.
					steps.set(order.orderId, { done: false, reason: describe(answer) });
					outcomes.push({ orderId: order.orderId, outcome: { kind: "unknown", reason: describe(answer) } });
				} else if (retryable(answer)) steps.set(order.orderId, { done: false, reason: describe(answer) });
				else if (answer.status < 300 || answer.status === 409) outcomes.push({ orderId: order.orderId, outcome: { kind: "sent" } });
				else if (answer.body.code === "ORDER_EXPIRED") outcomes.push({ orderId: order.orderId, outcome: { kind: "expired" } });
				else {
					const reason = String(answer.body.reason ?? answer.body.error ?? describe(answer));
					outcomes.push({ orderId: order.orderId, outcome: { kind: "rejected", reason } });
				}
			}),
	);
	if (outcomes.length > 0) await account.relayOutcomes(outcomes);
	return steps;
}

async function cancel(env: Env, orderId: string, clientId: string): Promise<Step> {
	const decision = await env.ACCOUNTS.getByName(clientId).cancelRelay(orderId);
	if (decision === "skip") return { done: true };
	if (decision === "wait") return { done: false, reason: "order still being placed" };
	const answer = await callOms(env, "POST", `/orders/${encodeURIComponent(orderId)}/cancel`, { orderId, clientId }, `cancel:${orderId}`);
	// 404: the OMS does not know the order yet (its placement is still in flight): ask again later.
	if (retryable(answer) || answer.status === 404) return { done: false, reason: describe(answer) };
	// 2xx: the CANCELLED event follows; 409: no longer open there, its fill or reject event tells.
	if (answer.status !== null && answer.status >= 300 && answer.status !== 409) {
		log("relay.cancel_refused", { orderId, status: answer.status, body: answer.body }, "warn");
	}
	return { done: true };
}

const LOOKUP_STATUSES = ["OPEN", "COMPLETE", "CANCELLED", "REJECTED"] as const;

/** What the OMS holds of an order whose placement had no definite answer, or null when it could not say. */
function lookupOf(answer: OmsAnswer): OmsLookup | null {
	if (answer.status === 404) return { found: false };
	if (answer.status !== 200) return null;
	const status = LOOKUP_STATUSES.find((s) => s === answer.body.status);
	const filledQty = Number(answer.body.filledQty ?? 0);
	if (!status || !Number.isInteger(filledQty) || filledQty < 0) return null;
	const avgPrice = typeof answer.body.avgPrice === "string" ? answer.body.avgPrice : undefined;
	const reason = typeof answer.body.reason === "string" ? answer.body.reason : undefined;
	return { found: true, status, filledQty, ...(avgPrice ? { avgPrice } : {}), ...(reason ? { reason } : {}) };
}

/**
 * Asks the OMS about an order of unknown outcome. When it cannot answer, the order stays counted
 * (the Account asks again later) and ops hear of it once.
 */
async function check(env: Env, orderId: string, clientId: string): Promise<Step> {
	const account = env.ACCOUNTS.getByName(clientId);
	const answer = await callOms(env, "GET", `/orders/${encodeURIComponent(orderId)}?clientId=${encodeURIComponent(clientId)}`, null);
	const lookup = lookupOf(answer);
	if (lookup) {
		const after = await account.settleLookup(orderId, lookup);
		// Never placed (every attempt without a definite answer): FAILED, and ops hear of it as of any failed exit.
		if (after?.status === "FAILED" && !lookup.found) {
			await alertOnce(env, account, `failed:${orderId}`, {
				event: "order.failed",
				text: `Order ${orderId} of client ${clientId} (${after.side} ${after.quantity} ${after.symbol}) never reached the OMS (it confirmed it does not have it): it is FAILED and needs ops`,
				detail: { orderId, clientId, order: after },
				clientId,
			});
		}
		return { done: true };
	}
	await alertOnce(env, account, `unknown:${orderId}`, {
		event: "order.outcome_unknown",
		text: `Order ${orderId} of client ${clientId} may be at the OMS but the OMS cannot say (${describe(answer)}): it keeps counting against the position; check it with the OMS`,
		detail: { orderId, clientId, answer: describe(answer) },
	});
	log("relay.check_failed", { orderId, reason: describe(answer) }, "warn");
	// The Account sends the next check itself: this message is done either way.
	return { done: true };
}

type PlaceMessage = Message<Extract<OrderMessage, { kind: "place" }>>;
type OtherMessage = Message<Extract<OrderMessage, { kind: "cancel" | "check" }>>;

export async function consumeOrders(batch: MessageBatch<OrderMessage>, env: Env): Promise<void> {
	const base = Number(env.RELAY_RETRY_BASE_SECONDS);
	const cap = Number(env.RELAY_RETRY_CAP_SECONDS);
	/** Acks a message whose step is done; otherwise retries it with backoff, logged and audited. */
	const settle = async (msg: Message<OrderMessage>, step: Step) => {
		if (step.done) return msg.ack();
		const m = msg.body;
		const orderId = m.kind === "place" ? m.order.orderId : m.orderId;
		const clientId = m.kind === "place" ? m.order.clientId : m.clientId;
		// A place is due again by its expiry at the latest: then the Account ends it (or hands it to the checks).
		const untilExpiry =
			m.kind === "place" ? Math.max(0, Math.ceil((Date.parse(m.order.expiresAt) - Date.now()) / 1000)) : Number.POSITIVE_INFINITY;
		const delaySeconds = Math.min(retryDelaySeconds(msg.attempts, base, cap), untilExpiry);
		msg.retry({ delaySeconds });
		log("relay.retry", { kind: m.kind, orderId, attempts: msg.attempts, delaySeconds, reason: step.reason }, "warn");
		await audit(
			env,
			auditEntry("order.relay_retry", "system", clientId, { orderId, kind: m.kind, attempts: msg.attempts, reason: step.reason }),
		).catch((err) => log("relay.audit_failed", { message: String(err) }, "error"));
	};
	const placesByClient = new Map<string, PlaceMessage[]>();
	const others: OtherMessage[] = [];
	for (const msg of batch.messages) {
		const m = msg.body;
		switch (m.kind) {
			case "place": {
				const mine = placesByClient.get(m.order.clientId) ?? [];
				mine.push(msg as PlaceMessage);
				placesByClient.set(m.order.clientId, mine);
				break;
			}
			case "cancel":
			case "check":
				others.push(msg as OtherMessage);
				break;
			default:
				assertNever(m);
		}
	}
	await Promise.all([
		...[...placesByClient].map(async ([clientId, msgs]) => {
			let steps: Map<string, Step> | null = null;
			let failure = "";
			try {
				steps = await place(
					env,
					clientId,
					msgs.map((m) => m.body.order),
				);
			} catch (err) {
				failure = String(err);
			}
			await Promise.all(msgs.map((m) => settle(m, steps?.get(m.body.order.orderId) ?? { done: false, reason: failure })));
		}),
		...others.map(async (msg) => {
			let step: Step;
			try {
				const { kind, orderId, clientId } = msg.body;
				step = kind === "cancel" ? await cancel(env, orderId, clientId) : await check(env, orderId, clientId);
			} catch (err) {
				step = { done: false, reason: String(err) };
			}
			await settle(msg, step);
		}),
	]);
}

/** Sends an alert about one of a client's orders unless already sent or being sent; false when the webhook did not take it. */
async function alertOnce(env: Env, account: DurableObjectStub<Account>, key: string, alert: Alert): Promise<boolean> {
	if (!(await account.claimAlert(key))) return true;
	const sent = (await sendAlert(env, alert)) !== "failed";
	await account.settleAlert(key, sent);
	return sent;
}

/**
 * What the relay gave up on: the order ends FAILED and ops hear about it once. An alert the
 * webhook did not take is not lost: the dead letter is retried (with the relay's backoff, up to
 * the dead-letter queue's max_retries) until it is; a claim in the Account keeps a redelivered
 * dead letter from alerting twice.
 */
export async function consumeDeadOrders(batch: MessageBatch<OrderMessage>, env: Env): Promise<void> {
	const base = Number(env.RELAY_RETRY_BASE_SECONDS);
	const cap = Number(env.RELAY_RETRY_CAP_SECONDS);
	for (const msg of batch.messages) {
		const m = msg.body;
		try {
			const clientId = m.kind === "place" ? m.order.clientId : m.clientId;
			const account = env.ACCOUNTS.getByName(clientId);
			let alerted = true;
			switch (m.kind) {
				case "place": {
					// One result per outcome given. An order the OMS may hold is not FAILED: the checks settle it.
					const [result] = await account.relayOutcomes([{ orderId: m.order.orderId, outcome: { kind: "gave_up" } }]);
					if (result!.order?.status === "FAILED") {
						alerted = await alertOnce(env, account, `failed:${m.order.orderId}`, {
							event: "order.failed",
							text: `Order ${m.order.orderId} of client ${clientId} (${m.order.side} ${m.order.quantity} ${m.order.symbol}) could not be relayed to the OMS: it is FAILED and needs ops`,
							detail: { orderId: m.order.orderId, clientId, order: m.order },
							clientId,
						});
					}
					break;
				}
				case "cancel":
					alerted = await alertOnce(env, account, `cancel_failed:${m.orderId}`, {
						event: "order.cancel_failed",
						text: `The cancel of order ${m.orderId} of client ${clientId} could not be delivered to the OMS`,
						detail: { orderId: m.orderId, clientId },
						clientId,
					});
					break;
				case "check":
					// The Account sends the next check: nothing is lost with this one.
					break;
				default:
					assertNever(m);
			}
			if (alerted) msg.ack();
			else msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts, base, cap) });
		} catch (err) {
			const clientId = m.kind === "place" ? m.order.clientId : m.clientId;
			const orderId = m.kind === "place" ? m.order.orderId : m.orderId;
			await logForClient("relay.dead_letter_failed", clientId, { message: String(err), kind: m.kind, orderId }, "error");
			msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts, base, cap) });
		}
	}
}
