// The sign-in challenge id that links POST /api/auth/login to POST /api/auth/totp.
// The TOTP request carries only { challengeId, code }, so the id itself must say which
// client's Account to ask, without telling anyone who holds it which client that is.
// It is AES-256-GCM over "<nonce>.<clientId>" (key derived by HKDF from JWT_SECRET, so no
// extra secret): opaque to the holder, and any change to it fails authentication. The
// nonce is what the Account stores (single use, short expiry, bounded attempts).

const enc = new TextEncoder();
const dec = new TextDecoder();
const toB64url = (bytes: Uint8Array) =>
	btoa(String.fromCharCode(...bytes))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
const fromB64url = (s: string): Uint8Array<ArrayBuffer> =>
	Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function challengeKey(jwtSecretB64: string): Promise<CryptoKey> {
	const ikm = await crypto.subtle.importKey("raw", fromB64url(jwtSecretB64), "HKDF", false, ["deriveKey"]);
	return crypto.subtle.deriveKey(
		{ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: enc.encode("lifeboat/sign-in-challenge/v1") },
		ikm,
		{ name: "AES-GCM", length: 256 },
		false,
		["encrypt", "decrypt"],
	);
}

export interface Challenge {
	clientId: string;
	nonce: string;
}

export async function sealChallenge(jwtSecretB64: string, clientId: string): Promise<{ challengeId: string; nonce: string }> {
	const nonce = crypto.randomUUID();
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await challengeKey(jwtSecretB64), enc.encode(`${nonce}.${clientId}`));
	const out = new Uint8Array(12 + ct.byteLength);
	out.set(iv);
	out.set(new Uint8Array(ct), 12);
	return { challengeId: toB64url(out), nonce };
}

/** The challenge inside an id, or null for anything forged, altered or malformed. */
export async function openChallenge(jwtSecretB64: string, challengeId: string): Promise<Challenge | null> {
	try {
		const bytes = fromB64url(challengeId);
		if (bytes.length <= 12 + 16) return null;
		const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, await challengeKey(jwtSecretB64), bytes.slice(12));
		const text = dec.decode(pt);
		const dot = text.indexOf(".");
		return dot > 0 ? { nonce: text.slice(0, dot), clientId: text.slice(dot + 1) } : null;
	} catch {
		return null;
	}
}
