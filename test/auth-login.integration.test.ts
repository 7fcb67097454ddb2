import { env } from "cloudflare:workers";
import fc from "fast-check";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
	CHALLENGE_MAX_ATTEMPTS,
	SECOND_FACTOR_FAILURES_PER_LOCK,
	SECOND_FACTOR_HARD_LIMIT,
	TRIES_PER_ADDRESS,
} from "../durable-objects/account/sign-in";
import { totpCode } from "../scripts/fixtures.ts";
import { createClient, type TestClient, uid } from "./fixtures";
import { MAX_OPEN_CHALLENGES, SqlStore } from "../durable-objects/account/sign-in-stores";
import { auditActions, browserHeaders, call, cookieOf, expectProblem, randomIp, signIn } from "./helpers";

type Headers = ReturnType<typeof browserHeaders>;
const post = (path: string, body: unknown, headers: Headers = browserHeaders()) =>
	call(path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
const login = (clientId: string, password: string, headers?: Headers) => post("/api/auth/login", { clientId, password }, headers);
const now = () => Math.floor(Date.now() / 1000);
const codeAt = (secret: string, epoch: number) => totpCode(secret, epoch);

/** Codes are tied to 30 s steps: keep a test's steps from crossing a boundary mid-way. */
async function clearOfStepEdge() {
	const intoStep = now() % 30;
	if (intoStep >= 27) await new Promise((r) => setTimeout(r, (30 - intoStep + 0.2) * 1000));
}

async function challengeFor(client: TestClient, headers: Headers = browserHeaders()) {
	const res = await login(client.clientId, client.password, headers);
	expect(res.status).toBe(200);
	return ((await res.json()) as { challengeId: string }).challengeId;
}

const totp = (challengeId: string, code: string, headers?: Headers) => post("/api/auth/totp", { challengeId, code }, headers);

describe("POST /api/auth/login + /api/auth/totp", () => {
	it("signs in with password then TOTP: opaque challenge, hardened cookie, /api/me, audit", async () => {
		const client = await createClient();
		await clearOfStepEdge();
		const res = await login(client.clientId, client.password);
		expect(res.status).toBe(200);
		expect(res.headers.get("set-cookie")).toBeNull();
		const body = (await res.json()) as { challengeId: string; factor: string; expiresAt: string };
		expect(body.factor).toBe("totp");
		expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);
		expect(body.challengeId).not.toContain(client.clientId);
		expect(atob(body.challengeId.replace(/-/g, "+").replace(/_/g, "/"))).not.toContain(client.clientId);

		const ok = await totp(body.challengeId, await codeAt(client.totpSecret, now()));
		expect(ok.status).toBe(200);
		expect(await ok.json()).toMatchObject({ clientId: client.clientId, name: `Test ${client.clientId}` });
		const setCookie = ok.headers.get("set-cookie") ?? "";
		expect(setCookie).toMatch(/^__Host-lb_session=[^;]+;/);
		for (const attr of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", `Max-Age=${8 * 3600}`]) expect(setCookie).toContain(attr);
		expect(setCookie).not.toMatch(/Domain=/i);

		const me = await call("/api/me", { headers: { cookie: cookieOf(ok) } });
		expect(me.status).toBe(200);
		expect(await me.json()).toEqual({ clientId: client.clientId, name: `Test ${client.clientId}` });
		expect(await auditActions(client.clientId, ["auth.login_succeeded"])).toContain("auth.login_succeeded");
	});

	it("gives a wrong password, an unknown client and a disabled client a challenge, and then the very same 401 as a wrong code", async () => {
		const client = await createClient();
		const disabled = await createClient({ status: "disabled" });
		await clearOfStepEdge();
		const code = await codeAt(client.totpSecret, now());
		const challenges = [
			await login(client.clientId, "wrong-password"),
			await login(uid("NOBODY"), "wrong-password"),
			await login(disabled.clientId, disabled.password),
		];
		const answers = [];
		for (const res of challenges) {
			expect(res.status).toBe(200);
			const body = (await res.json()) as { challengeId: string; factor: string };
			expect(body.factor).toBe("totp");
			// The right code of the real client's seed changes nothing: the password was wrong.
			answers.push(await expectProblem(await totp(body.challengeId, code), 401, "INVALID_OTP"));
		}
		const wrongCode = await expectProblem(await totp(await challengeFor(client), "000000"), 401, "INVALID_OTP");
		for (const a of answers) expect(a).toEqual(wrongCode);
		expect(await auditActions(client.clientId, ["auth.login_failed", "auth.totp_failed"])).toEqual(
			expect.arrayContaining(["auth.login_failed", "auth.totp_failed"]),
		);
		// Still usable: the right password and code sign in.
		expect((await totp(await challengeFor(client), code)).status).toBe(200);
	});

	it("30 wrong passwords from 30 addresses never lock the owner out: the right password and code from another address sign in", async () => {
		const client = await createClient();
		for (let i = 0; i < 30; i++) {
			const from = browserHeaders(randomIp());
			const res = await login(client.clientId, `guess-${i}`, from);
			expect(res.status).toBe(200);
			const { challengeId } = (await res.json()) as { challengeId: string };
			await expectProblem(await totp(challengeId, String(100000 + i), from), 401, "INVALID_OTP");
		}
		await clearOfStepEdge();
		const owner = browserHeaders(randomIp());
		const ok = await totp(await challengeFor(client, owner), await codeAt(client.totpSecret, now()), owner);
		expect(ok.status).toBe(200);
		expect(ok.headers.get("set-cookie")).toMatch(/^__Host-lb_session=/);
	});

	it("a spray that fills the account's open challenges never pushes out the owner's: the owner's code still signs in", async () => {
		const client = await createClient();
		await clearOfStepEdge();
		const owner = browserHeaders(randomIp());
		const mine = await challengeFor(client, owner);
		// As many wrong-password challenges as the account keeps, each from its own address and newer
		// than the owner's (stored directly: 2,000 logins would take minutes of password hashing).
		const expiresAt = now() + 310;
		await runInDurableObject(env.ACCOUNTS.getByName(client.clientId), (_, state) => {
			const store = new SqlStore(state.storage.sql);
			for (let i = 0; i < MAX_OPEN_CHALLENGES; i++) {
				store.addChallenge(
					{ nonce: `spray-${i}`, expiresAt, attempts: 0, name: "", sealedSeed: "", passwordOk: false, address: `spray-${i}` },
					now(),
				);
			}
			expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM challenges").one().n).toBe(MAX_OPEN_CHALLENGES);
		});
		expect((await totp(mine, await codeAt(client.totpSecret, now()), owner)).status).toBe(200);
	});

	it("counts a code for a challenge that is gone as a try of the address, like a wrong code: a vanished challenge tells a stranger nothing", async () => {
		const client = await createClient();
		const attacker = browserHeaders(randomIp());
		const res = await login(client.clientId, "wrong-password", attacker);
		const { challengeId } = (await res.json()) as { challengeId: string };
		const statuses: number[] = [res.status];
		// Three codes use the challenge up; the codes after those find no challenge, and still count.
		while (statuses.length < 25 && !statuses.includes(423)) statuses.push((await totp(challengeId, "123456", attacker)).status);
		expect(statuses.at(-1)).toBe(423);
		expect(statuses.length).toBeLessThanOrEqual(TRIES_PER_ADDRESS + 1);
	});

	it(`locks one address out of the account at its ${TRIES_PER_ADDRESS}th try in a row (the right password too), never the owner elsewhere; the lock runs out`, async () => {
		const client = await createClient();
		const attacker = browserHeaders(randomIp());
		const statuses: number[] = [];
		// A try is a login or a wrong code: pairs of both, as a guesser would send them.
		for (let i = 0; statuses.length < 25 && !statuses.includes(423); i++) {
			const res = await login(client.clientId, `wrong-${i}`, attacker);
			statuses.push(res.status);
			if (res.status !== 200) break;
			const { challengeId } = (await res.json()) as { challengeId: string };
			statuses.push((await totp(challengeId, "123456", attacker)).status);
		}
		expect(statuses.length).toBeLessThanOrEqual(25);
		expect(statuses.at(-1)).toBe(423);
		expect(statuses.slice(0, TRIES_PER_ADDRESS).every((st) => st === 200 || st === 401)).toBe(true);
		const lockedNow = await expectProblem(await login(client.clientId, client.password, attacker), 423, "ACCOUNT_LOCKED");
		expect(lockedNow).toHaveProperty("lockedUntil");
		expect(await auditActions(client.clientId, ["auth.locked"])).toContain("auth.locked");

		// The owner, from another address, is not affected.
		await clearOfStepEdge();
		const owner = browserHeaders(randomIp());
		expect((await totp(await challengeFor(client, owner), await codeAt(client.totpSecret, now()), owner)).status).toBe(200);

		// The cooling period passes (moved back in storage rather than waited for).
		const account = env.ACCOUNTS.getByName(client.clientId);
		await runInDurableObject(account, (_, state) => state.storage.sql.exec("UPDATE sign_in_addresses SET locked_until = ?", now() - 1));
		expect((await login(client.clientId, client.password, attacker)).status).toBe(200);
	});

	it("counts an IPv6 address by its /64: rotating inside it buys nothing; another /64 is unaffected", async () => {
		const client = await createClient();
		const prefix = `2001:db8:${Array.from(crypto.getRandomValues(new Uint16Array(2)), (n) => n.toString(16)).join(":")}`;
		const statuses: number[] = [];
		for (let i = 1; i <= 25 && !statuses.includes(423); i++)
			statuses.push((await login(client.clientId, "x", browserHeaders(`${prefix}::${i.toString(16)}`))).status);
		expect(statuses).toContain(423);
		expect(statuses.length).toBeLessThanOrEqual(TRIES_PER_ADDRESS + 1);
		expect((await login(client.clientId, "x", browserHeaders(`${prefix.replace(/:[0-9a-f]+$/, ":ffff")}::1`))).status).toBe(200);
	});

	it("tells a stranger nothing about the password: the same answers, and the same lock at the same try, for a right and a wrong one", async () => {
		const client = await createClient();
		const run = async (password: string) => {
			const from = browserHeaders(randomIp());
			const seen: string[] = [];
			for (let i = 0; i < 12; i++) {
				const res = await login(client.clientId, password, from);
				if (res.status !== 200) {
					seen.push(`login ${res.status}`);
					continue;
				}
				const { challengeId } = (await res.json()) as { challengeId: string };
				const answer = await totp(challengeId, "000000", from);
				const body = (await answer.json()) as { code: string; detail: string };
				seen.push(`totp ${answer.status} ${body.code} ${body.detail}`);
			}
			return seen;
		};
		const right = await run(client.password);
		const wrong = await run("not-the-password");
		expect(right).toEqual(wrong);
		expect(right).toContain("login 423");
	});

	it("lets an unknown client id store nothing, and locks its addresses all the same", async () => {
		const ghost = uid("GHOST");
		const from = browserHeaders(randomIp());
		const statuses: number[] = [];
		for (let i = 0; i < TRIES_PER_ADDRESS + 1; i++) {
			const res = await login(ghost, "guess", from);
			statuses.push(res.status);
			if (res.status === 200 && i === 0) {
				const { challengeId } = (await res.json()) as { challengeId: string };
				await expectProblem(await totp(challengeId, "123456", from), 401, "INVALID_OTP");
			}
		}
		expect(statuses.at(-1)).toBe(423);
		expect(statuses.slice(0, TRIES_PER_ADDRESS - 1).every((st) => st === 200)).toBe(true);
		const stored = await runInDurableObject(env.ACCOUNTS.getByName(ghost), (_, state) =>
			state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master").one(),
		);
		expect(stored.n).toBe(0);
	});

	it("lets a lock of one address grow with each lock in a row, and a sign-in from it reset it", async () => {
		const account = env.ACCOUNTS.getByName(uid("LOCKRPC"));
		const t = 1_000_000;
		const ip = "192.0.2.7";
		const lockAt = async (at: number) => {
			let last = await account.beginSignIn(true, ip, at);
			for (let i = 1; i < TRIES_PER_ADDRESS; i++) last = await account.beginSignIn(true, ip, at);
			return last.ok ? last.lockedNow : null;
		};
		expect(await lockAt(t)).toBe(t + 60);
		expect(await account.beginSignIn(true, ip, t + 59)).toEqual({ ok: false, lockedUntil: t + 60 });
		expect(await account.beginSignIn(true, "192.0.2.8", t + 59)).toEqual({ ok: true, lockedNow: null });
		expect(await lockAt(t + 60)).toBe(t + 60 + 120);
		expect(await lockAt(t + 180)).toBe(t + 180 + 240);

		const t2 = t + 180 + 240;
		expect(await account.beginSignIn(true, ip, t2)).toEqual({ ok: true, lockedNow: null });
		await account.openChallenge(true, { nonce: "n1", name: "x", sealedSeed: "x", passwordOk: true, address: ip }, t2);
		expect((await account.beginTotp(true, "n1", ip, t2)).ok).toBe(true);
		const done = await account.finishTotp(true, {
			nonce: "n1",
			step: 1,
			address: ip,
			sessionId: "s1",
			nowSeconds: t2,
			expiresAt: t2 + 100,
		});
		expect(done).toEqual({ ok: true, name: "x" });
		expect(await lockAt(t2 + 1)).toBe(t2 + 1 + 60);
	});

	it(`bounds guesses that could succeed: ${SECOND_FACTOR_FAILURES_PER_LOCK} wrong codes after the right password from unfamiliar addresses lock them all out silently (an alert goes out); a trusted address still signs in`, async () => {
		const client = await createClient();
		await clearOfStepEdge();
		// The owner's usual address: signed in from once, so trusted.
		const home = browserHeaders(randomIp());
		expect((await totp(await challengeFor(client, home), await codeAt(client.totpSecret, now()), home)).status).toBe(200);
		// Someone else has the password and guesses codes, from many addresses.
		for (let i = 0; i < SECOND_FACTOR_FAILURES_PER_LOCK; i++) {
			const from = browserHeaders(randomIp());
			await expectProblem(await totp(await challengeFor(client, from), String(200000 + i), from), 401, "INVALID_OTP");
		}
		expect(await auditActions(client.clientId, ["auth.second_factor_locked"])).toContain("auth.second_factor_locked");
		// From an unfamiliar address even the right code (of the next step: the owner spent this one) fails now, as a wrong one does.
		const next = await codeAt(client.totpSecret, now() + 30);
		const stranger = browserHeaders(randomIp());
		const refused = await expectProblem(await totp(await challengeFor(client, stranger), next, stranger), 401, "INVALID_OTP");
		const wrong = await expectProblem(await totp(await challengeFor(client, stranger), "000000", stranger), 401, "INVALID_OTP");
		expect(refused).toEqual(wrong);
		expect((await totp(await challengeFor(client, home), next, home)).status).toBe(200);
	});

	it(`never allows more than ${SECOND_FACTOR_HARD_LIMIT} failed guesses with the right password in a row (NIST SP 800-63B)`, async () => {
		const account = env.ACCOUNTS.getByName(uid("NIST"));
		let t = 2_000_000;
		let locked = 0;
		for (let i = 0; i < SECOND_FACTOR_HARD_LIMIT; i++) {
			const ip = `198.51.100.${i % 250}`;
			await account.beginSignIn(true, ip, t);
			await account.openChallenge(true, { nonce: `n${i}`, name: "x", sealedSeed: "x", passwordOk: true, address: ip }, t);
			const done = await account.finishTotp(true, {
				nonce: `n${i}`,
				step: null,
				address: ip,
				sessionId: `s${i}`,
				nowSeconds: t,
				expiresAt: t + 100,
			});
			if (!done.ok && done.secondFactorLockedUntil !== null) {
				locked = done.secondFactorLockedUntil;
				if (locked < Number.MAX_SAFE_INTEGER) t = locked + 1;
			}
		}
		expect(locked).toBe(Number.MAX_SAFE_INTEGER);
		// Years later, a right code from an unfamiliar address still fails.
		const later = t + 10 * 365 * 86400;
		await account.openChallenge(true, { nonce: "last", name: "x", sealedSeed: "x", passwordOk: true, address: "203.0.113.1" }, later);
		const done = await account.finishTotp(true, {
			nonce: "last",
			step: 99,
			address: "203.0.113.1",
			sessionId: "s",
			nowSeconds: later,
			expiresAt: later + 100,
		});
		expect(done).toMatchObject({ ok: false, reason: "SECOND_FACTOR_LOCKED" });
	});

	it("refuses a replayed TOTP code, even on a fresh challenge", async () => {
		const client = await createClient();
		await clearOfStepEdge();
		const code = await codeAt(client.totpSecret, now());
		expect((await totp(await challengeFor(client), code)).status).toBe(200);
		await expectProblem(await totp(await challengeFor(client), code), 401, "INVALID_OTP");
	});

	it("accepts a code one step old and refuses one two steps old", async () => {
		const client = await createClient();
		await clearOfStepEdge();
		await expectProblem(await totp(await challengeFor(client), await codeAt(client.totpSecret, now() - 60)), 401, "INVALID_OTP");
		await expectProblem(await totp(await challengeFor(client), await codeAt(client.totpSecret, now() + 60)), 401, "INVALID_OTP");
		expect((await totp(await challengeFor(client), await codeAt(client.totpSecret, now() - 30))).status).toBe(200);
	});

	it(`allows ${CHALLENGE_MAX_ATTEMPTS} codes per challenge; wrong codes count toward the address's lock`, async () => {
		const client = await createClient();
		await clearOfStepEdge();
		const from = browserHeaders(randomIp());
		const first = await challengeFor(client, from); // try 1
		for (const code of ["000001", "000002", "000003"]) await expectProblem(await totp(first, code, from), 401, "INVALID_OTP"); // tries 2-4
		// A spent challenge, even with the right code: a try like a wrong code (whether it still exists tells nothing).
		await expectProblem(await totp(first, await codeAt(client.totpSecret, now()), from), 401, "INVALID_OTP"); // try 5
		const second = await challengeFor(client, from); // try 6
		for (const code of ["000004", "000005"]) await expectProblem(await totp(second, code, from), 401, "INVALID_OTP"); // tries 7-8
		const third = await challengeFor(client, from); // try 9
		await expectProblem(await totp(third, "000007", from), 401, "INVALID_OTP"); // try 10: the lock is set
		await expectProblem(await totp(third, await codeAt(client.totpSecret, now()), from), 423, "ACCOUNT_LOCKED");
		expect(await auditActions(client.clientId, ["auth.totp_failed", "auth.locked"])).toEqual(
			expect.arrayContaining(["auth.totp_failed", "auth.locked"]),
		);
	});

	it("refuses a forged or altered challenge id (and the untouched one still works)", async () => {
		const client = await createClient();
		await clearOfStepEdge();
		const challengeId = await challengeFor(client);
		const code = await codeAt(client.totpSecret, now());
		const flipped = challengeId[20] === "A" ? "B" : "A";
		await expectProblem(await totp(challengeId.slice(0, 20) + flipped + challengeId.slice(21), code), 401, "INVALID_OTP");
		await expectProblem(await totp(`${client.clientId}.abc`, code), 401, "INVALID_OTP");
		await expectProblem(await totp("%%%", code), 401, "INVALID_OTP");
		expect((await totp(challengeId, code)).status).toBe(200);
	});

	it("limits sign-in requests per IP: the 21st in a minute gets 429, another IP is unaffected", async () => {
		const headers = browserHeaders(randomIp());
		const ghost = uid("RL");
		const statuses = [];
		for (let i = 0; i < 21; i++) statuses.push((await login(ghost, "x", headers)).status);
		expect(statuses.slice(0, 20)).not.toContain(429);
		expect(statuses[20]).toBe(429);
		await expectProblem(await login(ghost, "x", headers), 429, "RATE_LIMITED");
		const client = await createClient();
		expect((await login(client.clientId, client.password, browserHeaders(randomIp()))).status).toBe(200);
	});

	it("answers bad bodies with 4xx problems, never a 500", async () => {
		const bodies: unknown[] = [
			"{not json",
			"",
			"null",
			[],
			{},
			{ clientId: 1, password: "x" },
			{ clientId: "", password: "x" },
			{ clientId: "A".repeat(65), password: "x" },
			{ clientId: "A", password: "x".repeat(1025) },
			{ clientId: "A", password: null },
		];
		for (const body of bodies) {
			const res = await post("/api/auth/login", body);
			expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
			expect(res.status, JSON.stringify(body)).toBeLessThan(500);
			expect(res.headers.get("content-type")).toContain("application/problem+json");
		}
		for (const body of [
			{},
			{ challengeId: "x" },
			{ challengeId: "x", code: "12345" },
			{ challengeId: "x", code: "abcdef" },
			{ challengeId: 5, code: "123456" },
		]) {
			const res = await post("/api/auth/totp", body);
			expect(res.status, JSON.stringify(body)).toBe(400);
		}
		await expectProblem(await login("\u0000\u{1F600}", "x"), 400, "INVALID_BODY");
		// A well-formed login for no client still gets a challenge (the verdict comes with the code).
		const odd = await login("\u{1F600}'; DROP TABLE clients;--", "\u0000");
		expect(odd.status).toBe(200);
		await expectProblem(await totp(((await odd.json()) as { challengeId: string }).challengeId, "123456"), 401, "INVALID_OTP");
	});

	it("never answers a 500 to arbitrary bodies on login and totp", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom("/api/auth/login", "/api/auth/totp"),
				fc.oneof(
					fc.jsonValue(),
					fc.record({ clientId: fc.string(), password: fc.string() }),
					fc.record({ challengeId: fc.string(), code: fc.string() }),
				),
				async (path, body) => {
					const res = await post(path, body);
					// A well-formed login is answered with a challenge whatever the id and password.
					if (res.status === 200) return path === "/api/auth/login" && "challengeId" in ((await res.json()) as object);
					return res.status >= 400 && res.status < 500 && (res.headers.get("content-type") ?? "").startsWith("application/problem+json");
				},
			),
			{ numRuns: 60 },
		);
	});

	it("signIn helper works twice in a row for the same client (second uses the next step)", async () => {
		const client = await createClient();
		const a = await signIn(client.clientId, client.password, client.totpSecret);
		const b = await signIn(client.clientId, client.password, client.totpSecret);
		expect(a).not.toBe(b);
		for (const cookie of [a, b]) expect((await call("/api/me", { headers: { cookie } })).status).toBe(200);
	});
});
