// How long one password check costs, for a real client (PBKDF2 at the 100,000 cap, or
// bcrypt) and for an unknown one (the dummy check). Unknown and known should cost the same.
// Run: node bench/password-cost.ts [rounds]
import bcrypt from "bcryptjs";
import { hashPassword, verifyDummyPassword, verifyPassword } from "../src/auth/password.ts";
import { localSecrets } from "../src/config/local-secrets.ts";

const rounds = Number(process.argv[2] ?? 30);
const pepper = localSecrets.PASSWORD_PEPPER;

async function time(label: string, fn: () => Promise<unknown>) {
	const ms: number[] = [];
	await fn();
	for (let i = 0; i < rounds; i++) {
		const t = performance.now();
		await fn();
		ms.push(performance.now() - t);
	}
	ms.sort((a, b) => a - b);
	const at = (q: number) => (ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? Number.NaN).toFixed(1);
	console.log(`${label.padEnd(34)} p50 ${at(0.5)} ms  p90 ${at(0.9)} ms  (n=${rounds})`);
}

const pbkdf2Hash = await hashPassword("right-password", pepper);
const bcryptHash = bcrypt.hashSync("right-password", 10);
await time("pbkdf2 100k, right password", () => verifyPassword(pbkdf2Hash, "right-password", pepper));
await time("pbkdf2 100k, wrong password", () => verifyPassword(pbkdf2Hash, "wrong-password", pepper));
await time("unknown client (dummy pbkdf2)", () => verifyDummyPassword("wrong-password", pepper));
await time("bcrypt cost 10, wrong password", () => verifyPassword(bcryptHash, "wrong-password", pepper));
