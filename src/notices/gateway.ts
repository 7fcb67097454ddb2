// The broker's SMS/e-mail gateway (NOTIFY_URL): one signed POST per notice. The gateway owns the
// DLT-registered templates (TRAI) and maps our template ids to them (docs/runbook.md), so the
// payload names a template and its variables, never free text.
import type { NoticeChannel, NoticeKind, NoticePayload } from "../contract";
import { signatureHeaders, signedPath } from "../relay/signature";

/** Everything a template may use. The same for every client of a transition: no name, no account details. */
export function templateFor(env: Pick<Env, "BACKUP_ORIGIN">, kind: NoticeKind, channel: NoticeChannel, at: string) {
	const site = env.BACKUP_ORIGIN.replace(/\/+$/, "");
	return {
		templateId: `lifeboat_${kind}_${channel}`,
		variables: {
			siteUrl: site,
			statusUrl: `${site}/status`,
			at: new Date(at).toLocaleString("en-IN", { timeZone: "Asia/Kolkata", dateStyle: "medium", timeStyle: "short" }),
		},
	};
}

/** SMS reaches a phone in a crowd of e-mails: the mobile when there is one, else the e-mail. */
export function channelFor(contact: { mobile: string | null; email: string | null }): { channel: NoticeChannel; to: string } | null {
	if (contact.mobile) return { channel: "sms", to: contact.mobile };
	if (contact.email) return { channel: "email", to: contact.email };
	return null;
}

export type GatewayAnswer = { ok: true } | { ok: false; retry: boolean; reason: string };

/** 2xx or 409 (already has it) = taken; 408, 429, 5xx, a timeout or a network error = try again; another 4xx = refused for good. */
export async function postNotice(env: Pick<Env, "NOTIFY_URL" | "NOTIFY_HMAC_SECRET">, payload: NoticePayload): Promise<GatewayAnswer> {
	const body = JSON.stringify(payload);
	try {
		const res = await fetch(env.NOTIFY_URL, {
			method: "POST",
			headers: {
				"content-type": "application/json",
				"idempotency-key": payload.noticeId,
				...(await signatureHeaders(env.NOTIFY_HMAC_SECRET, { method: "POST", path: signedPath(env.NOTIFY_URL), body })),
			},
			body,
			signal: AbortSignal.timeout(5000),
		});
		await res.body?.cancel();
		if (res.ok || res.status === 409) return { ok: true };
		const retry = res.status === 408 || res.status === 429 || res.status >= 500;
		return { ok: false, retry, reason: `HTTP ${res.status}` };
	} catch (err) {
		return { ok: false, retry: true, reason: err instanceof Error && err.name === "TimeoutError" ? "timeout" : String(err) };
	}
}
