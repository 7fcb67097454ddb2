// HMAC-SHA256 signatures between Lifeboat and the broker's systems, one key per direction:
//   OMS_RELAY_HMAC_SECRET   Lifeboat -> OMS (relayed orders and cancels; the OMS checks)
//   OMS_EVENTS_HMAC_SECRET  OMS -> Lifeboat (POST /oms/events; Lifeboat checks)
//   NOTIFY_HMAC_SECRET      Lifeboat -> the broker's SMS/e-mail gateway (notices; the gateway checks)
// so a party that can only check one direction cannot forge the other. Headers:
//   X-Lifeboat-Timestamp: <unix seconds>
//   X-Lifeboat-Signature: v2=<hex HMAC-SHA256(secret, "v2\n<timestamp>\n<METHOD>\n<path and query>\n<body>")>
// The method and path are covered, so a signed request cannot be replayed at another endpoint.
// Secrets shorter than MIN_SECRET_BYTES are refused when the Worker or the simulator starts.
// WebCrypto only, imports with explicit extensions: the OMS simulator (Node) signs with it too.
import { constantTimeEqual } from "../auth/constant-time.ts";
import { toHex } from "../http/hex.ts";

export const SIGNATURE_HEADER = "x-lifeboat-signature";
export const TIMESTAMP_HEADER = "x-lifeboat-timestamp";
/** Events older or newer than this are refused, so a captured request cannot be replayed later. */
export const SIGNATURE_WINDOW_SECONDS = 300;
/** HMAC-SHA256 keys shorter than its output add nothing but weakness. */
export const MIN_SECRET_BYTES = 32;
export const HMAC_SECRETS = ["OMS_RELAY_HMAC_SECRET", "OMS_EVENTS_HMAC_SECRET", "NOTIFY_HMAC_SECRET"] as const;
type HmacSecret = (typeof HMAC_SECRETS)[number];

const enc = new TextEncoder();

/** Throws a clear error naming the secret (of `names`, default all) that is missing or shorter than MIN_SECRET_BYTES. */
export function assertHmacSecrets(env: Partial<Record<HmacSecret, unknown>>, names: readonly HmacSecret[] = HMAC_SECRETS): void {
	for (const name of names) {
		const value = env[name];
		const bytes = typeof value === "string" ? enc.encode(value).length : 0;
		if (bytes < MIN_SECRET_BYTES) {
			throw new Error(
				`${name} must be a secret of at least ${MIN_SECRET_BYTES} bytes (it has ${bytes}); generate one with \`openssl rand -base64 32\` and set it with \`wrangler secret put ${name}\` (locally: src/config/local-secrets.ts)`,
			);
		}
	}
}

/** What a signature covers besides the timestamp. `path` is the URL's path and query, as the receiver sees it. */
export interface Signed {
	method: string;
	path: string;
	body: string;
}

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

const message = (ts: number, r: Signed) => `v2\n${ts}\n${r.method.toUpperCase()}\n${r.path}\n${r.body}`;

/** The path and query of a URL, as signed. */
export const signedPath = (url: string | URL) => {
	const u = new URL(url);
	return `${u.pathname}${u.search}`;
};

export async function signatureHeaders(
	secret: string,
	request: Signed,
	nowSeconds = Math.floor(Date.now() / 1000),
): Promise<Record<string, string>> {
	return { [TIMESTAMP_HEADER]: String(nowSeconds), [SIGNATURE_HEADER]: `v2=${await hmacHex(secret, message(nowSeconds, request))}` };
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: "MISSING" | "STALE" | "MISMATCH" };

export async function checkSignature(
	secret: string,
	request: Signed,
	headers: { get(name: string): string | null },
	nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
	const ts = Number(headers.get(TIMESTAMP_HEADER));
	const sig = headers.get(SIGNATURE_HEADER) ?? "";
	if (!Number.isInteger(ts) || !sig.startsWith("v2=")) return { ok: false, reason: "MISSING" };
	if (Math.abs(nowSeconds - ts) > SIGNATURE_WINDOW_SECONDS) return { ok: false, reason: "STALE" };
	const expected = await hmacHex(secret, message(ts, request));
	return constantTimeEqual(expected, sig.slice(3)) ? { ok: true, timestamp: ts } : { ok: false, reason: "MISMATCH" };
}
