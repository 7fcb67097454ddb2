// Password hashes replicated from the primary, in PHC string form:
//   $pbkdf2-sha256$i=<iterations>,l=<bytes>$<salt b64>$<hash b64>
// The password is first HMAC-SHA256'd with a secret pepper (PASSWORD_PEPPER), so a leaked
// table alone is not enough to guess at, and PBKDF2 stays within the Workers cap.
// Self-contained (WebCrypto only) so Node scripts can import it for seeding.

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
