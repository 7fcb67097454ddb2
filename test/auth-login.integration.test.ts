import { env } from "cloudflare:workers";
import fc from "fast-check";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOCK_AFTER_FAILURES } from "../durable-objects/account/sign-in";
import { totpCode } from "../scripts/fixtures.ts";
import { createClient, type TestClient, uid } from "./fixtures";
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

	it("gives a wrong password, an unknown client and a disabled client the very same 401", async () => {
		const client = await createClient();
		const disabled = await createClient({ status: "disabled" });
		const answers = [
			await login(client.clientId, "wrong-password"),
			await login(uid("NOBODY"), "wrong-password"),
			await login(disabled.clientId, disabled.password),
		];
		const bodies = [];
		for (const res of answers) bodies.push(await expectProblem(res, 401, "INVALID_CREDENTIALS"));
		expect(bodies[1]).toEqual(bodies[0]);
		expect(bodies[2]).toEqual(bodies[0]);
		expect(await auditActions(client.clientId, ["auth.login_failed"])).toContain("auth.login_failed");
	});

	it(`locks after ${LOCK_AFTER_FAILURES} failures (even the right password then gets 423), and the lock runs out`, async () => {
		const client = await createClient();
		for (let i = 1; i < LOCK_AFTER_FAILURES; i++)
			await expectProblem(await login(client.clientId, `wrong-${i}`), 401, "INVALID_CREDENTIALS");
		const lockedNow = await expectProblem(await login(client.clientId, "wrong-last"), 423, "ACCOUNT_LOCKED");
		expect(lockedNow).toHaveProperty("lockedUntil");
		await expectProblem(await login(client.clientId, client.password), 423, "ACCOUNT_LOCKED");
		expect(await auditActions(client.clientId, ["auth.locked"])).toContain("auth.locked");

		// The cooling period passes (moved back in storage rather than waited for).
		const account = env.ACCOUNTS.getByName(client.clientId);
		await runInDurableObject(account, (_, state) => state.storage.sql.exec("UPDATE sign_in SET locked_until = ?", now() - 1));
		expect((await login(client.clientId, client.password)).status).toBe(200);
	});

	it("locks unknown client ids the same way, so a lockout reveals nothing", async () => {
		const ghost = uid("GHOST");
		for (let i = 1; i < LOCK_AFTER_FAILURES; i++) await expectProblem(await login(ghost, "guess"), 401, "INVALID_CREDENTIALS");
		await expectProblem(await login(ghost, "guess"), 423, "ACCOUNT_LOCKED");
	});

	it("lets a cooling period grow with each lock in a row, and a success reset it", async () => {
		const account = env.ACCOUNTS.getByName(uid("LOCKRPC"));
		const t = 1_000_000;
		const lockAt = async (at: number) => {
			let last = await account.beginAttempt(at);
			for (let i = 1; i < LOCK_AFTER_FAILURES; i++) last = await account.beginAttempt(at);
			return last.ok ? last.lockedUntil : null;
		};
		expect(await lockAt(t)).toBe(t + 60);
		expect(await account.beginAttempt(t + 59)).toEqual({ ok: false, lockedUntil: t + 60 });
		expect(await lockAt(t + 60)).toBe(t + 60 + 120);
		expect(await lockAt(t + 180)).toBe(t + 180 + 240);

		const t2 = t + 180 + 240;
		const attempt = await account.beginAttempt(t2);
		expect(attempt).toEqual({ ok: true, lockedUntil: null });
		await account.passwordAccepted(false, { nonce: "n1", name: "x", sealedSeed: "x" }, t2);
		expect((await account.beginTotpAttempt("n1", t2)).ok).toBe(true);
		expect(await account.completeSignIn("n1", 1, "s1", t2, t2 + 100)).toEqual({ ok: true });
		expect(await lockAt(t2 + 1)).toBe(t2 + 1 + 60);
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

	it("allows 3 codes per challenge; TOTP failures count toward the lock", async () => {
		const client = await createClient();
		await clearOfStepEdge();
		const first = await challengeFor(client);
		for (const code of ["000001", "000002", "000003"]) await expectProblem(await totp(first, code), 401, "INVALID_OTP");
		await expectProblem(await totp(first, await codeAt(client.totpSecret, now())), 401, "INVALID_OTP");
		const second = await challengeFor(client);
		await expectProblem(await totp(second, "000004"), 401, "INVALID_OTP");
		await expectProblem(await totp(second, "000005"), 423, "ACCOUNT_LOCKED");
		await expectProblem(await totp(second, await codeAt(client.totpSecret, now())), 423, "ACCOUNT_LOCKED");
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
		await expectProblem(await login("\u{1F600}'; DROP TABLE clients;--", "\u0000"), 401, "INVALID_CREDENTIALS");
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
