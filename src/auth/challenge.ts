// The sign-in challenge id that links POST /api/auth/login to POST /api/auth/totp.
// The TOTP request carries only { challengeId, code }, so the id itself must say which
// client's Account to ask, without telling anyone who holds it which client that is.
// It is AES-256-GCM over "<nonce>.<known>.<clientId>" (key derived by HKDF from JWT_SECRET,
// so no extra secret): opaque to the holder, and any change to it fails authentication. The
// nonce is what the Account stores (single use, short expiry, bounded attempts); `known` says
// whether the client id was a client's at login, so the Account knows where the challenge is
// kept (storage, or memory for an unknown id) without the holder ever learning which.

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
	known: boolean;
}

export async function sealChallenge(
	jwtSecretB64: string,
	clientId: string,
	known: boolean,
): Promise<{ challengeId: string; nonce: string }> {
	const nonce = crypto.randomUUID();
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const plain = enc.encode(`${nonce}.${known ? 1 : 0}.${clientId}`);
	const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await challengeKey(jwtSecretB64), plain);
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
		const m = /^([^.]+)\.([01])\.(.+)$/s.exec(dec.decode(pt));
		return m?.[1] && m[3] ? { nonce: m[1], known: m[2] === "1", clientId: m[3] } : null;
	} catch {
		return null;
	}
}
