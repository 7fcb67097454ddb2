// `npm run bench:spray`: what a password spray costs the trader it targets, on a local stack of
// its own (free ports). Prints:
//   1. the same answer, the same time: login and TOTP latency for a wrong password, an unknown
//      client id and the right password (p50 / p95), interleaved, from fresh addresses;
//   2. the owner's sign-in (password + TOTP, from an address that never failed) and other
//      clients' sign-ins, quiet and then during SPRAY_GUESSES guesses (login + a code each) at
//      the owner's account from as many addresses (every fourth an IPv6 /64), SPRAY_CONCURRENCY
//      at a time; how the guesses were answered; whether the owner ever failed.
// Settings: SPRAY_GUESSES (1000), SPRAY_CONCURRENCY (16), SPRAY_TIMING_SAMPLES (40), BENCH_DATA_DIR.
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { browserHeaders, totpCode } from "../scripts/fixtures.ts";
import { freePort } from "../scripts/local-postgres.ts";
import { startStack } from "../scripts/stack.ts";
import { createClients, pool } from "./clients.ts";
import { DATA_DIR, PASSWORD, TOTP_SECRET } from "./config.ts";
import { pct } from "./stats.ts";

const GUESSES = Number(process.env.SPRAY_GUESSES ?? 1000);
const CONCURRENCY = Number(process.env.SPRAY_CONCURRENCY ?? 16);
const TIMING_SAMPLES = Number(process.env.SPRAY_TIMING_SAMPLES ?? 40);
const root = fileURLToPath(new URL("..", import.meta.url));

const v4 = (a: number, i: number) => `100.${a}.${(i >> 8) & 255}.${i & 255}`;
const v6 = (i: number) => `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(1 + (i % 7)).toString(16)}`;

interface Timed {
	status: number;
	ms: number;
	body: Record<string, unknown>;
}

async function post(site: string, path: string, body: unknown, ip: string): Promise<Timed> {
	const started = performance.now();
	const res = await fetch(`${site}${path}`, { method: "POST", headers: browserHeaders(site, ip), body: JSON.stringify(body) });
	const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>;
	return { status: res.status, ms: performance.now() - started, body: parsed };
}

/** Password, then a code, from `ip`: each step's time and the outcome. */
async function attempt(site: string, clientId: string, password: string, code: string, ip: string) {
	const login = await post(site, "/api/auth/login", { clientId, password }, ip);
	if (login.status !== 200) return { login, totp: null, total: login.ms };
	const totp = await post(site, "/api/auth/totp", { challengeId: login.body.challengeId, code }, ip);
	return { login, totp, total: login.ms + totp.ms };
}

const row = (label: string, xs: number[]) =>
	`${label.padEnd(44)} n=${String(xs.length).padStart(4)}  p50 ${Math.round(pct(xs, 50)).toString().padStart(5)} ms  p95 ${Math.round(pct(xs, 95)).toString().padStart(5)} ms  max ${Math.round(
		Math.max(...xs),
	)
		.toString()
		.padStart(5)} ms`;

/** The owner signs in once per TOTP step (a step's code works once): waits for the next step first. */
async function ownerSignIn(site: string, clientId: string, ip: string) {
	const intoStep = (Date.now() / 1000) % 30;
	await new Promise((r) => setTimeout(r, (30 - intoStep + 0.3) * 1000));
	return attempt(site, clientId, PASSWORD, await totpCode(TOTP_SECRET), ip);
}

async function main() {
	const dataDir = mkdtempSync(`${DATA_DIR}/lifeboat-spray-`);
	chmodSync(dataDir, 0o755);
	const port = await freePort();
	const buildUi = !existsSync(`${root}/ui/dist/index.html`);
	console.log(`starting the stack on :${port} ...`);
	const stack = await startStack({ port, dataDir, persistent: false, quiet: true, buildUi });
	const site = stack.url;
	try {
		const run = Date.now().toString(36).toUpperCase().slice(-4);
		const [owner] = await createClients(stack.databaseUrl, `SO${run}`, 1, []);
		const timing = await createClients(stack.databaseUrl, `ST${run}`, TIMING_SAMPLES, []);
		const bystanders = await createClients(stack.databaseUrl, `SB${run}`, 400, []);
		let nextBystander = 0;
		let ip = 0;
		const freshIp = () => v4(10, ip++);

		// 1. Same answer, same time.
		const t = { wrongLogin: [] as number[], unknownLogin: [] as number[], rightLogin: [] as number[] };
		const c = { wrongTotp: [] as number[], unknownTotp: [] as number[], rightPwWrongCode: [] as number[] };
		const answers = new Set<string>();
		for (const [i, tc] of timing.entries()) {
			const runs = [
				async () => {
					const a = await attempt(site, tc.clientId, "not-the-password", "000000", freshIp());
					t.wrongLogin.push(a.login.ms);
					if (a.totp) c.wrongTotp.push(a.totp.ms);
					answers.add(`${a.login.status}/${a.totp?.status} ${a.totp?.body.code} ${a.totp?.body.detail}`);
				},
				async () => {
					const a = await attempt(site, `NOBODY${run}${i}`, "not-the-password", "000000", freshIp());
					t.unknownLogin.push(a.login.ms);
					if (a.totp) c.unknownTotp.push(a.totp.ms);
					answers.add(`${a.login.status}/${a.totp?.status} ${a.totp?.body.code} ${a.totp?.body.detail}`);
				},
				async () => {
					const a = await attempt(site, tc.clientId, PASSWORD, "000000", freshIp());
					t.rightLogin.push(a.login.ms);
					if (a.totp) c.rightPwWrongCode.push(a.totp.ms);
					answers.add(`${a.login.status}/${a.totp?.status} ${a.totp?.body.code} ${a.totp?.body.detail}`);
				},
			];
			// A different order each round, so warm-up and drift fall on all three alike.
			for (const k of [0, 1, 2].map((j) => (j + i) % 3)) await runs[k]!();
		}

		// 2. Quiet baseline.
		const quietBystanders: number[] = [];
		for (let i = 0; i < 20; i++) {
			const b = bystanders[nextBystander++]!;
			const a = await attempt(site, b.clientId, PASSWORD, await totpCode(TOTP_SECRET), freshIp());
			if (a.totp?.status === 200) quietBystanders.push(a.total);
		}
		const quietOwner = await ownerSignIn(site, owner!.clientId, freshIp());

		// 3. The spray, with the owner and other clients signing in throughout.
		const outcomes = new Map<string, number>();
		let sprayDone = false;
		const sprayStarted = performance.now();
		const spray = pool(
			Array.from({ length: GUESSES }, (_, i) => i),
			CONCURRENCY,
			async (i) => {
				const from = i % 4 === 3 ? v6(i) : v4(64, i);
				const a = await attempt(site, owner!.clientId, `guess-${i}`, String(100000 + (i % 900000)).padStart(6, "0"), from);
				const key = `login ${a.login.status}${a.totp ? `, totp ${a.totp.status}` : ""}`;
				outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
			},
		).finally(() => {
			sprayDone = true;
		});
		const ownerUnder: { status: number | undefined; total: number }[] = [];
		const ownerLoop = (async () => {
			while (!sprayDone) {
				const a = await ownerSignIn(site, owner!.clientId, freshIp());
				if (!sprayDone || ownerUnder.length === 0) ownerUnder.push({ status: a.totp?.status ?? a.login.status, total: a.total });
			}
		})();
		const bystandersUnder: number[] = [];
		let bystanderFailures = 0;
		const bystanderLoop = (async () => {
			while (!sprayDone && nextBystander < bystanders.length) {
				const b = bystanders[nextBystander++]!;
				const a = await attempt(site, b.clientId, PASSWORD, await totpCode(TOTP_SECRET), freshIp());
				if (a.totp?.status === 200) bystandersUnder.push(a.total);
				else bystanderFailures++;
			}
		})();
		await spray;
		const sprayMs = performance.now() - sprayStarted;
		await Promise.all([ownerLoop, bystanderLoop]);
		const afterOwner = await ownerSignIn(site, owner!.clientId, freshIp());

		console.log("\n1. Same answer, same time (each from a fresh address)");
		console.log(row("login: wrong password", t.wrongLogin));
		console.log(row("login: unknown client id", t.unknownLogin));
		console.log(row("login: right password", t.rightLogin));
		console.log(row("totp after a wrong password", c.wrongTotp));
		console.log(row("totp for an unknown client id", c.unknownTotp));
		console.log(row("totp: right password, wrong code", c.rightPwWrongCode));
		console.log(`distinct answers to the three: ${answers.size} (${[...answers].join(" | ")})`);

		console.log(`\n2. Sign-in under a spray of ${GUESSES} guesses at one account from ${GUESSES} addresses (${CONCURRENCY} at a time)`);
		console.log(
			`spray took ${(sprayMs / 1000).toFixed(1)} s (${Math.round(GUESSES / (sprayMs / 1000))} guesses/s); answers: ${[...outcomes].map(([k, n]) => `${k}: ${n}`).join("; ")}`,
		);
		console.log(row("other clients' sign-in, quiet", quietBystanders));
		console.log(row("other clients' sign-in, during the spray", bystandersUnder));
		console.log(`  ${bystanderFailures} of their sign-ins failed during the spray`);
		console.log(`owner's sign-in, quiet: ${quietOwner.totp?.status} in ${Math.round(quietOwner.total)} ms`);
		console.log(`owner's sign-in during the spray: ${ownerUnder.map((o) => `${o.status} in ${Math.round(o.total)} ms`).join(", ")}`);
		console.log(`owner's sign-in after the spray: ${afterOwner.totp?.status} in ${Math.round(afterOwner.total)} ms`);
	} finally {
		await stack.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

await main();
