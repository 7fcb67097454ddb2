// Consumers of the notices queue and of its dead-letter queue (api.md "Notices").
//   fanout: one page of clients: a notice recorded for each (src/notices/store.ts), its send queued
//           with the throttle's delay (src/notices/pace.ts), then the next page queued.
//   send:   claims the notice, hands it to the gateway (src/notices/gateway.ts), records the result.
// Delivery is at least once: a repeated page records nothing new and queues sends that find their
// notice sent; a repeated send finds its notice sent or claimed. Each message is acked or retried
// on its own, with backoff; dead letters end failed, with one ops alert per transition.
import { sendAlert } from "../src/observability/alerts";
import { log } from "../src/observability/log";
import { withDb } from "../src/db/client";
import { retryDelaySeconds } from "../src/relay/backoff";
import { postNotice, templateFor } from "../src/notices/gateway";
import { noticeRate, queueSends, sendMessages } from "../src/notices/pace";
import {
	type Claim,
	claim,
	claimFailureAlert,
	FANOUT_PAGE_SIZE,
	markFailed,
	type NoticeKey,
	noticeId,
	recordPage,
	type Settlement,
	settle,
} from "../src/notices/store";
import { assertNever, type NoticeMessage } from "../src/contract";

type FanoutMessage = Message<Extract<NoticeMessage, { kind: "fanout" }>>;
type SendMessage = Message<Extract<NoticeMessage, { kind: "send" }>>;

const backoff = (env: Env, attempts: number) =>
	retryDelaySeconds(attempts, Number(env.RELAY_RETRY_BASE_SECONDS), Number(env.RELAY_RETRY_CAP_SECONDS));

async function fanout(env: Env, msg: FanoutMessage): Promise<void> {
	const { transition, after, position } = msg.body;
	const startMs = msg.body.startMs ?? Date.now();
	try {
		const page = await withDb(env, "notices-fanout", (db) => recordPage(db, transition, after));
		await queueSends(env, sendMessages(transition.id, page, position, startMs, noticeRate(env)));
		const last = page.at(-1);
		if (page.length === FANOUT_PAGE_SIZE && last !== undefined) {
			await env.NOTICES.send({ kind: "fanout", transition, after: last, position: position + page.length, startMs });
		}
		log("notices.fanout_page", { transitionId: transition.id, kind: transition.kind, position, clients: page.length });
		msg.ack();
	} catch (err) {
		const delaySeconds = backoff(env, msg.attempts);
		log("notices.fanout_retry", { transitionId: transition.id, attempts: msg.attempts, delaySeconds, message: String(err) }, "warn");
		msg.retry({ delaySeconds });
	}
}

/** Claims the batch's notices in one statement, calls the gateway for each claimed one side by side, records the results in one more. */
async function send(env: Env, msgs: SendMessage[]): Promise<void> {
	const keys: NoticeKey[] = msgs.map((m) => m.body);
	let claims: Map<string, Claim>;
	try {
		claims = await withDb(env, "notices-send", (db) => claim(db, keys));
	} catch (err) {
		log("notices.claim_failed", { count: msgs.length, message: String(err) }, "warn");
		for (const m of msgs) m.retry({ delaySeconds: backoff(env, m.attempts) });
		return;
	}
	const settlements: Settlement[] = [];
	const retries = new Map<string, number>();
	const handled = new Set<string>();
	await Promise.all(
		msgs.map(async (m) => {
			const id = noticeId(m.body);
			const c = claims.get(id);
			// A second message of the same notice in this batch: the first one does the work.
			if (handled.has(id) || c === undefined) return;
			handled.add(id);
			switch (c.state) {
				case "done":
				case "unknown":
					return;
				case "held":
					retries.set(id, c.retryInSeconds);
					return;
				case "claimed": {
					const answer = await postNotice(env, {
						noticeId: id,
						clientId: m.body.clientId,
						kind: c.kind,
						channel: c.channel,
						to: c.to,
						...templateFor(env, c.kind, c.channel, c.at),
					});
					if (answer.ok) settlements.push({ ...m.body, status: "sent", error: null });
					else if (answer.retry) {
						settlements.push({ ...m.body, status: "queued", error: answer.reason });
						retries.set(id, backoff(env, m.attempts));
					} else settlements.push({ ...m.body, status: "failed", error: `gateway refused: ${answer.reason}` });
					return;
				}
				default:
					assertNever(c);
			}
		}),
	);
	try {
		await withDb(env, "notices-send", (db) => settle(db, settlements));
	} catch (err) {
		// Handed over but not recorded: sent again once the claims run out (the gateway drops the repeat by its Idempotency-Key).
		log("notices.settle_failed", { count: settlements.length, message: String(err) }, "error");
		for (const m of msgs) m.retry({ delaySeconds: Math.max(backoff(env, m.attempts), 30) });
		return;
	}
	const refused = settlements.filter((s) => s.status === "failed");
	if (refused.length > 0) {
		await alertFailures(env, [...new Set(refused.map((s) => s.transitionId))], refused[0]?.error ?? "").catch((err) =>
			log("notices.alert_failed", { message: String(err) }, "error"),
		);
	}
	for (const m of msgs) {
		const delay = retries.get(noticeId(m.body));
		if (delay === undefined) m.ack();
		else m.retry({ delaySeconds: delay });
	}
	const sent = settlements.filter((s) => s.status === "sent").length;
	log("notices.sent", { sent, retried: retries.size, refused: refused.length });
}

/** Once per transition: ops hear that some of its notices failed and what to do. False when an alert could not be delivered. */
async function alertFailures(env: Env, transitionIds: string[], reason: string): Promise<boolean> {
	let delivered = true;
	for (const transitionId of transitionIds) {
		const mine = await withDb(env, "notices-alert", (db) => claimFailureAlert(db, transitionId));
		if (!mine) continue;
		const result = await sendAlert(env, {
			event: "notices.failed",
			text: `Notices of transition ${transitionId} could not be handed to the SMS/e-mail gateway (${reason}). When the gateway works again: POST /ops/notices/${transitionId}/resend (docs/runbook.md)`,
			detail: { transitionId, reason },
		});
		if (result === "failed") {
			delivered = false;
			await withDb(env, "notices-alert", (db) => claimFailureAlert(db, transitionId, true));
		}
	}
	return delivered;
}

export async function consumeNotices(batch: MessageBatch<NoticeMessage>, env: Env): Promise<void> {
	const fanouts: FanoutMessage[] = [];
	const sends: SendMessage[] = [];
	for (const msg of batch.messages) {
		const m = msg.body;
		switch (m.kind) {
			case "fanout":
				fanouts.push(msg as FanoutMessage);
				break;
			case "send":
				sends.push(msg as SendMessage);
				break;
			default:
				assertNever(m);
		}
	}
	await Promise.all([...fanouts.map((m) => fanout(env, m)), sends.length > 0 ? send(env, sends) : null]);
}

/** What the notices queue gave up on: sends end failed, with one alert per transition; a fan-out page alerts each time (it names the transition to resend). */
export async function consumeDeadNotices(batch: MessageBatch<NoticeMessage>, env: Env): Promise<void> {
	const sends = batch.messages.filter((m): m is SendMessage => m.body.kind === "send");
	const fanouts = batch.messages.filter((m): m is FanoutMessage => m.body.kind === "fanout");
	for (const m of fanouts) {
		const t = m.body.transition;
		const result = await sendAlert(env, {
			event: "notices.fanout_failed",
			text: `Notices of transition ${t.id} (${t.kind}) could not be queued for clients after ${m.body.position}: Postgres or the queue failed every retry. Once they work: POST /ops/notices/${t.id}/resend (docs/runbook.md)`,
			detail: { transitionId: t.id, kind: t.kind, after: m.body.after, position: m.body.position },
		});
		if (result === "failed") m.retry({ delaySeconds: backoff(env, m.attempts) });
		else m.ack();
	}
	if (sends.length === 0) return;
	try {
		const failing = await withDb(env, "notices-dead", (db) =>
			markFailed(
				db,
				sends.map((m) => m.body),
				"gateway unreachable after every retry",
			),
		);
		const alerted = await alertFailures(env, failing, "every retry failed");
		for (const m of sends) alerted ? m.ack() : m.retry({ delaySeconds: backoff(env, m.attempts) });
		log("notices.dead_letters", { count: sends.length, transitions: failing }, "error");
	} catch (err) {
		log("notices.dead_letter_failed", { count: sends.length, message: String(err) }, "error");
		for (const m of sends) m.retry({ delaySeconds: backoff(env, m.attempts) });
	}
}
