// Ops alerts: one JSON POST to ALERT_WEBHOOK_URL ({ text } is what Slack needs; the rest is for
// machines). Without a webhook the alert is only logged. An alert never throws; a caller that
// must not lose one retries on "failed" (the dead-letter consumer does). The webhook gets the
// client id ops need to act; the log line carries only its hash, like every log line.
import { clientHash, log } from "./log";

export interface Alert {
	event: string;
	text: string;
	detail?: Record<string, unknown>;
	/** The client the alert is about: named in the webhook's text and detail, hashed in the log. */
	clientId?: string;
}

/** The alert's text and detail with the client id replaced by its hash. */
async function forLog(alert: Alert): Promise<Record<string, unknown>> {
	if (!alert.clientId) return { text: alert.text, detail: alert.detail };
	const hash = await clientHash(alert.clientId);
	const { clientId: _, ...detail } = alert.detail ?? {};
	return { text: alert.text.replaceAll(alert.clientId, `#${hash}`), detail, clientHash: hash };
}

/** A webhook that fails is tried again after 0.5 s and 1.5 s: a blip must not swallow the alert. */
const ALERT_ATTEMPTS = 3;

export async function sendAlert(env: Pick<Env, "ALERT_WEBHOOK_URL" | "APP_ENV">, alert: Alert): Promise<"delivered" | "logged" | "failed"> {
	log(alert.event, await forLog(alert), "alert");
	if (!env.ALERT_WEBHOOK_URL) return "logged";
	const body = JSON.stringify({ text: `[lifeboat ${env.APP_ENV}] ${alert.text}`, event: alert.event, detail: alert.detail ?? {} });
	let failure = "";
	for (let attempt = 1; attempt <= ALERT_ATTEMPTS; attempt++) {
		try {
			const res = await fetch(env.ALERT_WEBHOOK_URL, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body,
				signal: AbortSignal.timeout(3000),
			});
			if (res.ok) return "delivered";
			failure = `HTTP ${res.status}`;
		} catch (err) {
			failure = String(err);
		}
		if (attempt < ALERT_ATTEMPTS) await scheduler.wait(500 * 3 ** (attempt - 1));
	}
	log("alert.delivery_failed", { alert: alert.event, attempts: ALERT_ATTEMPTS, message: failure }, "error");
	return "failed";
}
