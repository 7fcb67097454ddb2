// Hex digests. WebCrypto only, no imports: the OMS simulator (Node) uses it through oms-signature.ts.

export const toHex = (bytes: ArrayBuffer | Uint8Array) =>
	Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text: string): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
