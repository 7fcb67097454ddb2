// Password hashes replicated from the primary, in PHC string form:
//   $pbkdf2-sha256$i=<iterations>,l=<bytes>$<salt b64>$<hash b64>
// The password is first HMAC-SHA256'd with a secret pepper (PASSWORD_PEPPER), so a leaked
// table alone is not enough to guess at, and PBKDF2 stays within the Workers cap.
// bcrypt hashes from the primary's older systems are checked with bcryptjs (pure JS, no pepper).
// Self-contained (WebCrypto + bcryptjs, and the import-free log writer) so Node scripts can
// import it for seeding.
import bcrypt from "bcryptjs";
import { log } from "../observability/log-line.ts";

/** Deployed Workers refuse PBKDF2 above this; we refuse it everywhere so local matches deploy. */
export const MAX_PBKDF2_ITERATIONS = 100_000;

const enc = new TextEncoder();

export const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
export const unb64 = (s: string): Uint8Array<ArrayBuffer> =>
	Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function pepper(password: string, pepperB64: string): Promise<Uint8Array<ArrayBuffer>> {
	const key = await crypto.subtle.importKey("raw", unb64(pepperB64), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	return new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(password)));
}

export async function pbkdf2(
	password: string,
	pepperB64: string,
	salt: Uint8Array<ArrayBuffer>,
	iterations: number,
	length: number,
): Promise<Uint8Array> {
	if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
		throw new RangeError(`PBKDF2 iterations must be 1..${MAX_PBKDF2_ITERATIONS}, got ${iterations}`);
	}
	const key = await crypto.subtle.importKey("raw", await pepper(password, pepperB64), "PBKDF2", false, ["deriveBits"]);
	const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, length * 8);
	return new Uint8Array(bits);
}

export async function hashPassword(password: string, pepperB64: string, iterations = MAX_PBKDF2_ITERATIONS): Promise<string> {
	const salt = crypto.getRandomValues(new Uint8Array(16));
	const hash = await pbkdf2(password, pepperB64, salt, iterations, 32);
	return `$pbkdf2-sha256$i=${iterations},l=32$${b64(salt)}$${b64(hash)}`;
}

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const PBKDF2 = /^\$pbkdf2-sha256\$i=(\d+),l=(\d+)\$([A-Za-z0-9+/_-]+)\$([A-Za-z0-9+/_-]+)$/;

/** Equal in time that depends only on the lengths. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
	let diff = a.length ^ b.length;
	for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
	return diff === 0;
}

/**
 * Checks a password against a replicated PHC hash (pbkdf2-sha256 with pepper, or bcrypt).
 * Fails closed: a malformed hash or one above the PBKDF2 cap is a mismatch (logged), never a throw.
 */
export async function verifyPassword(phc: string, password: string, pepperB64: string): Promise<boolean> {
	try {
		if (BCRYPT.test(phc)) {
			return await bcrypt.compare(password, phc);
		}
		const [, iterations, , salt, hash] = PBKDF2.exec(phc) ?? [];
		if (!iterations || !salt || !hash) throw new Error("unsupported password hash format");
		const expected = unb64(hash);
		if (expected.length < 16) throw new Error("pbkdf2 hash shorter than 16 bytes");
		const derived = await pbkdf2(password, pepperB64, unb64(salt), Number(iterations), expected.length);
		return bytesEqual(derived, expected);
	} catch (err) {
		log("auth.password_hash_unusable", { message: err instanceof Error ? err.message : String(err) }, "error");
		return false;
	}
}

// A pbkdf2 hash at the full iteration count whose preimage nobody knows (salt and hash are
// random bytes, written out because Workers refuse random values at module scope).
const DUMMY_PHC = `$pbkdf2-sha256$i=${MAX_PBKDF2_ITERATIONS},l=32$FVokiMdgqBd9Mqvl1d5G7w$SdjgiJhgblHtByAnpxKXjYx+xHbG2C6MO5HHenH9trA`;

/** Costs what checking a real client's password costs, and always fails: for unknown or disabled clients. */
export async function verifyDummyPassword(password: string, pepperB64: string): Promise<false> {
	await verifyPassword(DUMMY_PHC, password, pepperB64);
	return false;
}
