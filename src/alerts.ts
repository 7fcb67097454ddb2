// Ops alerts: one JSON POST to ALERT_WEBHOOK_URL ({ text } is what Slack needs; the rest is for
// machines). Without a webhook the alert is only logged. An alert never throws.
export interface Alert {
	event: string;
	text: string;
	detail?: Record<string, unknown>;
}

export async function sendAlert(env: Pick<Env, "ALERT_WEBHOOK_URL" | "APP_ENV">, alert: Alert): Promise<boolean> {
	console.warn(JSON.stringify({ level: "alert", ...alert }));
	if (!env.ALERT_WEBHOOK_URL) return false;
	try {
		const res = await fetch(env.ALERT_WEBHOOK_URL, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ text: `[lifeboat ${env.APP_ENV}] ${alert.text}`, event: alert.event, detail: alert.detail ?? {} }),
			signal: AbortSignal.timeout(3000),
		});
		return res.ok;
	} catch (err) {
		console.error(JSON.stringify({ event: "alert.delivery_failed", message: String(err) }));
		return false;
	}
}
