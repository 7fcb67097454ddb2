// HMAC-SHA256 signatures between Lifeboat and the broker's OMS, both directions:
//   X-Lifeboat-Timestamp: <unix seconds>
//   X-Lifeboat-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
// WebCrypto only, imports with explicit extensions: the OMS simulator (Node) signs with it too.
import { constantTimeEqual } from "../auth/constant-time.ts";
import { toHex } from "../http/hex.ts";

export const SIGNATURE_HEADER = "x-lifeboat-signature";
export const TIMESTAMP_HEADER = "x-lifeboat-timestamp";
/** Events older or newer than this are refused, so a captured request cannot be replayed later. */
export const SIGNATURE_WINDOW_SECONDS = 300;

const enc = new TextEncoder();

/** Imported once per secret and isolate: every relayed order and every OMS event signs or checks. */
const keys = new Map<string, Promise<CryptoKey>>();

async function hmacHex(secret: string, message: string): Promise<string> {
	let key = keys.get(secret);
	if (!key) {
		key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
		keys.set(secret, key);
	}
	return toHex(await crypto.subtle.sign("HMAC", await key, enc.encode(message)));
}

export async function signatureHeaders(
	secret: string,
	body: string,
	nowSeconds = Math.floor(Date.now() / 1000),
): Promise<Record<string, string>> {
	return { [TIMESTAMP_HEADER]: String(nowSeconds), [SIGNATURE_HEADER]: `v1=${await hmacHex(secret, `${nowSeconds}.${body}`)}` };
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: "MISSING" | "STALE" | "MISMATCH" };

export async function checkSignature(
	secret: string,
	body: string,
	headers: { get(name: string): string | null },
	nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
	const ts = Number(headers.get(TIMESTAMP_HEADER));
	const sig = headers.get(SIGNATURE_HEADER) ?? "";
	if (!Number.isInteger(ts) || !sig.startsWith("v1=")) return { ok: false, reason: "MISSING" };
	if (Math.abs(nowSeconds - ts) > SIGNATURE_WINDOW_SECONDS) return { ok: false, reason: "STALE" };
	const expected = await hmacHex(secret, `${ts}.${body}`);
	return constantTimeEqual(expected, sig.slice(3)) ? { ok: true, timestamp: ts } : { ok: false, reason: "MISMATCH" };
}
