// Consumers of the orders queue (relay to the OMS) and of its dead-letter queue (FAILED + ops
// alert). Delivery is at least once and unordered, so every step is safe to repeat: the OMS
// dedupes by Idempotency-Key (= order id), and the Account only moves an order forward.
import { sendAlert } from "../src/alerts";
import { audit, auditEntry } from "../src/audit";
import { signatureHeaders } from "../src/oms-signature";
import { retryDelaySeconds } from "../src/trading/rules";
import { assertNever, type OrderMessage, type RelayOrder } from "../src/types";

type OmsAnswer = { status: number; body: Record<string, unknown> } | { status: null; error: string };
type Step = { done: true } | { done: false; reason: string };

async function callOms(env: Env, path: string, payload: unknown, idempotencyKey: string): Promise<OmsAnswer> {
	const text = JSON.stringify(payload);
	try {
		const res = await fetch(`${env.OMS_URL}${path}`, {
			method: "POST",
			headers: {
				"content-type": "application/json",
				"idempotency-key": idempotencyKey,
				...(await signatureHeaders(env.OMS_HMAC_SECRET, text)),
			},
			body: text,
			signal: AbortSignal.timeout(Number(env.OMS_TIMEOUT_MS)),
		});
		const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
		return { status: res.status, body };
	} catch (err) {
		return { status: null, error: err instanceof Error && err.name === "TimeoutError" ? "timeout" : String(err) };
	}
}

/**
 * 401/403/429 are about us (credentials, rate), not the order: retried, and if they persist the
 * order ends FAILED with ops alerted rather than silently REJECTED.
 */
const retryable = (a: OmsAnswer) => a.status === null || a.status >= 500 || a.status === 401 || a.status === 403 || a.status === 429;
const describe = (a: OmsAnswer) => (a.status === null ? a.error : `HTTP ${a.status}`);

async function place(env: Env, order: RelayOrder): Promise<Step> {
	const account = env.ACCOUNTS.getByName(order.clientId);
	if ((await account.beginRelay(order.orderId)) === "skip") return { done: true };
	const answer = await callOms(env, "/orders", order, order.orderId);
	if (answer.status === null || retryable(answer)) return { done: false, reason: describe(answer) };
	if (answer.status < 300 || answer.status === 409) {
		await account.relayOutcome(order.orderId, { kind: "sent" });
	} else {
		const reason = String(answer.body.reason ?? answer.body.error ?? describe(answer));
		await account.relayOutcome(order.orderId, { kind: "rejected", reason });
	}
	return { done: true };
}

async function cancel(env: Env, orderId: string, clientId: string): Promise<Step> {
	const decision = await env.ACCOUNTS.getByName(clientId).cancelRelay(orderId);
	if (decision === "skip") return { done: true };
	if (decision === "wait") return { done: false, reason: "order still being placed" };
	const answer = await callOms(env, `/orders/${encodeURIComponent(orderId)}/cancel`, { orderId, clientId }, `cancel:${orderId}`);
	// 404: the OMS does not know the order yet (its placement is still in flight): ask again later.
	if (retryable(answer) || answer.status === 404) return { done: false, reason: describe(answer) };
	// 2xx: the CANCELLED event follows; 409: no longer open there, its fill or reject event tells.
	if (answer.status !== null && answer.status >= 300 && answer.status !== 409) {
		console.warn(JSON.stringify({ event: "relay.cancel_refused", orderId, status: answer.status, body: answer.body }));
	}
	return { done: true };
}

export async function consumeOrders(batch: MessageBatch<OrderMessage>, env: Env): Promise<void> {
	const base = Number(env.RELAY_RETRY_BASE_SECONDS);
	const cap = Number(env.RELAY_RETRY_CAP_SECONDS);
	await Promise.all(
		batch.messages.map(async (msg) => {
			const m = msg.body;
			let step: Step;
			try {
				switch (m.kind) {
					case "place":
						step = await place(env, m.order);
						break;
					case "cancel":
						step = await cancel(env, m.orderId, m.clientId);
						break;
					default:
						assertNever(m);
				}
			} catch (err) {
				step = { done: false, reason: String(err) };
			}
			if (step.done) return msg.ack();
			const orderId = m.kind === "place" ? m.order.orderId : m.orderId;
			const clientId = m.kind === "place" ? m.order.clientId : m.clientId;
			const delaySeconds = retryDelaySeconds(msg.attempts, base, cap);
			msg.retry({ delaySeconds });
			console.warn(
				JSON.stringify({ event: "relay.retry", kind: m.kind, orderId, attempts: msg.attempts, delaySeconds, reason: step.reason }),
			);
			await audit(
				env,
				auditEntry("order.relay_retry", "system", clientId, { orderId, kind: m.kind, attempts: msg.attempts, reason: step.reason }),
			).catch((err) => console.error(JSON.stringify({ event: "relay.audit_failed", message: String(err) })));
		}),
	);
}

/** What the relay gave up on: the order ends FAILED and ops hear about it once. */
export async function consumeDeadOrders(batch: MessageBatch<OrderMessage>, env: Env): Promise<void> {
	for (const msg of batch.messages) {
		const m = msg.body;
		try {
			switch (m.kind) {
				case "place": {
					const reason = `could not be relayed to the OMS after ${msg.attempts} attempt(s)`;
					const { changed } = await env.ACCOUNTS.getByName(m.order.clientId).relayOutcome(m.order.orderId, { kind: "failed", reason });
					if (changed) {
						await sendAlert(env, {
							event: "order.failed",
							text: `Order ${m.order.orderId} of client ${m.order.clientId} (${m.order.side} ${m.order.quantity} ${m.order.symbol}) could not be relayed to the OMS: it is FAILED and needs ops`,
							detail: { orderId: m.order.orderId, clientId: m.order.clientId, order: m.order },
						});
					}
					break;
				}
				case "cancel":
					await sendAlert(env, {
						event: "order.cancel_failed",
						text: `The cancel of order ${m.orderId} of client ${m.clientId} could not be delivered to the OMS`,
						detail: { orderId: m.orderId, clientId: m.clientId },
					});
					break;
				default:
					assertNever(m);
			}
			msg.ack();
		} catch (err) {
			console.error(JSON.stringify({ event: "relay.dead_letter_failed", message: String(err), body: m }));
			msg.retry({ delaySeconds: 30 });
		}
	}
}
