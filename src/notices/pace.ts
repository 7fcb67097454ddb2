// The notices' throttle: a fan-out gives each send a delay so that, from the moment the fan-out
// started, at most NOTIFY_RATE_PER_SECOND notices a second come due for the gateway. One
// schedule per transition, fixed when its sends are queued (no shared counter to ask per send);
// retries come on top, spread by their backoff. Queue delays are whole seconds, so within a
// second the due notices go as one burst of at most the rate.
import type { NoticeMessage } from "../contract";

/** Cloudflare Queues' longest delay. */
const MAX_DELAY_SECONDS = 43_200;
const DEFAULT_RATE = 100;

export function noticeRate(env: Pick<Env, "NOTIFY_RATE_PER_SECOND">): number {
	const n = Number(env.NOTIFY_RATE_PER_SECOND);
	return Number.isFinite(n) && n > 0 ? n : DEFAULT_RATE;
}

/** The delay of the send at `position` (0-based, in fan-out order) of a fan-out that started at `startMs`. */
export function sendDelaySeconds(position: number, startMs: number, rate: number, nowMs = Date.now()): number {
	const dueMs = startMs + Math.floor(position / rate) * 1000;
	return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round((dueMs - nowMs) / 1000)));
}

/** The most one sendBatch takes. */
const SEND_BATCH = 100;

export function sendMessages(transitionId: string, clientIds: string[], position: number, startMs: number, rate: number) {
	const now = Date.now();
	return clientIds.map((clientId, i) => ({
		body: { kind: "send", transitionId, clientId } satisfies NoticeMessage,
		delaySeconds: sendDelaySeconds(position + i, startMs, rate, now),
	}));
}

/** Queues sends 100 at a time. */
export async function queueSends(env: Pick<Env, "NOTICES">, messages: ReturnType<typeof sendMessages>): Promise<void> {
	for (let i = 0; i < messages.length; i += SEND_BATCH) await env.NOTICES.sendBatch(messages.slice(i, i + SEND_BATCH));
}
