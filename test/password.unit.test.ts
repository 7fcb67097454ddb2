import { env } from "cloudflare:workers";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { hashPassword, MAX_PBKDF2_ITERATIONS, pbkdf2, verifyDummyPassword, verifyPassword } from "../src/auth/password";

const pepper = env.PASSWORD_PEPPER;

describe("verifyPassword", () => {
	it("accepts the right password for a peppered pbkdf2-sha256 hash and refuses a wrong one or a wrong pepper", async () => {
		const phc = await hashPassword("correct horse battery staple", pepper, 1000);
		expect(await verifyPassword(phc, "correct horse battery staple", pepper)).toBe(true);
		expect(await verifyPassword(phc, "correct horse battery stapl", pepper)).toBe(false);
		const otherPepper = btoa("another-pepper-of-32-bytes-long!");
		expect(await verifyPassword(phc, "correct horse battery staple", otherPepper)).toBe(false);
	});

	it("verifies bcrypt hashes of the $2a$, $2b$ and $2y$ kinds", async () => {
		const hash = bcrypt.hashSync("legacy-pass", 4);
		expect(hash.startsWith("$2b$")).toBe(true);
		for (const prefix of ["$2a$", "$2b$", "$2y$"]) {
			const phc = prefix + hash.slice(4);
			expect(await verifyPassword(phc, "legacy-pass", pepper)).toBe(true);
			expect(await verifyPassword(phc, "legacy-pasS", pepper)).toBe(false);
		}
	});

	it("refuses PBKDF2 above 100,000 iterations: hashing throws, verifying fails closed", async () => {
		await expect(hashPassword("pw", pepper, MAX_PBKDF2_ITERATIONS + 1)).rejects.toThrow(RangeError);
		// The same password and salt, hashed legitimately at the cap, then relabelled one iteration above it.
		const atCap = await hashPassword("pw", pepper);
		expect(atCap).toContain(`$i=${MAX_PBKDF2_ITERATIONS},`);
		expect(await verifyPassword(atCap, "pw", pepper)).toBe(true);
		const overCap = atCap.replace(`$i=${MAX_PBKDF2_ITERATIONS},`, `$i=${MAX_PBKDF2_ITERATIONS + 1},`);
		expect(await verifyPassword(overCap, "pw", pepper)).toBe(false);
		await expect(pbkdf2("pw", pepper, new Uint8Array(16), 600_000, 32)).rejects.toThrow(RangeError);
	});

	it("treats malformed or unknown hash formats as a mismatch, never a throw", async () => {
		for (const phc of [
			"",
			"plain",
			"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
			"$pbkdf2-sha256$i=1000,l=32$%%%$%%%",
			"$pbkdf2-sha256$i=1000,l=1$AAAA$AA",
			"$2b$10$short",
		]) {
			expect(await verifyPassword(phc, "anything", pepper)).toBe(false);
		}
	});

	it("the dummy check for unknown clients always fails", async () => {
		expect(await verifyDummyPassword("", pepper)).toBe(false);
		expect(await verifyDummyPassword("lifeboat-demo", pepper)).toBe(false);
	});
});
