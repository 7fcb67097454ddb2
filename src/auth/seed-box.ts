// TOTP seeds at rest: AES-256-GCM with a key from TOTP_ENC_KEY, stored as base64(iv || ciphertext).
// Self-contained (WebCrypto only) so Node scripts can import it for seeding.

const enc = new TextEncoder();
const dec = new TextDecoder();
const toB64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromB64 = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

function importKey(keyB64: string) {
	return crypto.subtle.importKey("raw", fromB64(keyB64), "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function sealSeed(seedBase32: string, keyB64: string): Promise<string> {
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await importKey(keyB64), enc.encode(seedBase32)));
	const out = new Uint8Array(iv.length + ct.length);
	out.set(iv);
	out.set(ct, iv.length);
	return toB64(out);
}

export async function openSeed(sealed: string, keyB64: string): Promise<string> {
	const bytes = fromB64(sealed);
	const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, await importKey(keyB64), bytes.slice(12));
	return dec.decode(pt);
}
