import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { SESSION_AUDIENCE, SESSION_COOKIE, SESSION_ISSUER, SESSION_TYP, verifySessionToken } from "../src/auth/session";
import { TOUCH_EVERY_SECONDS } from "../durable-objects/account/sessions";
import { itemAt } from "../scripts/fixtures.ts";
import { SECURITY_HEADERS } from "../src/http/security-headers";
import { createClient, openSession } from "./fixtures";
import { auditActions, browserHeaders, call, eventually, expectProblem, SITE, signIn, statementsRunBy } from "./helpers";

const now = () => Math.floor(Date.now() / 1000);

/** Reads and rewrites a session's recorded last use inside its Account. */
function lastUse(clientId: string, sessionId: string) {
	const account = env.ACCOUNTS.getByName(clientId);
	return {
		get: () =>
			runInDurableObject(account, (_, state) =>
				state.storage.sql.exec<{ last_seen_at: number }>("SELECT last_seen_at FROM sessions WHERE id = ?", sessionId).one(),
			).then((r) => r.last_seen_at),
		set: (at: number) =>
			runInDurableObject(account, (_, state) => state.storage.sql.exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", at, sessionId)),
	};
}
const key = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const me = (cookie: string) => call("/api/me", { headers: { cookie } });
const asCookie = (token: string) => `${SESSION_COOKIE}=${token}`;

/** A token like the real ones, with one thing changed. */
async function forge(
	clientId: string,
	sessionId: string,
	change: { alg?: string; typ?: string; kid?: string; aud?: string; iss?: string; exp?: number; secret?: string } = {},
) {
	const t = now();
	return new SignJWT({})
		.setProtectedHeader({ alg: change.alg ?? "HS256", typ: change.typ ?? SESSION_TYP, kid: change.kid ?? env.JWT_KID })
		.setIssuer(change.iss ?? SESSION_ISSUER)
		.setAudience(change.aud ?? SESSION_AUDIENCE)
		.setSubject(clientId)
		.setJti(sessionId)
		.setIssuedAt(t)
		.setNotBefore(t)
		.setExpirationTime(change.exp ?? t + 3600)
		.sign(key(change.secret ?? env.JWT_SECRET));
}

describe("sessions", () => {
	it("accepts a well-formed token for a live session (control for the attacks below)", async () => {
		const client = await createClient();
		const { sessionId } = await openSession(client.clientId);
		expect((await me(asCookie(await forge(client.clientId, sessionId)))).status).toBe(200);
	});

	it("refuses alg none, wrong audience, issuer, typ or kid, an expired token, a tampered signature or payload", async () => {
		const client = await createClient();
		const { cookie, sessionId } = await openSession(client.clientId);
		const token = cookie.slice(SESSION_COOKIE.length + 1);
		const part = (i: number) => itemAt(token.split("."), i, "JWT part");
		const [h, p, s] = [part(0), part(1), part(2)];
		const otherPayload = btoa(JSON.stringify({ ...JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/"))), sub: "DEMO01" }))
			.replace(/=+$/, "")
			.replace(/\+/g, "-")
			.replace(/\//g, "_");
		const t = now();
		const attacks: Record<string, string> = {
			algNone: new UnsecuredJWT({ sub: client.clientId, jti: sessionId })
				.setIssuer(SESSION_ISSUER)
				.setAudience(SESSION_AUDIENCE)
				.setIssuedAt(t)
				.setNotBefore(t)
				.setExpirationTime(t + 3600)
				.encode(),
			wrongAudience: await forge(client.clientId, sessionId, { aud: "lifeboat-ops" }),
			wrongIssuer: await forge(client.clientId, sessionId, { iss: "evil" }),
			wrongTyp: await forge(client.clientId, sessionId, { typ: "JWT" }),
			unknownKid: await forge(client.clientId, sessionId, { kid: "k-unknown" }),
			wrongKey: await forge(client.clientId, sessionId, { secret: btoa("x".repeat(32)) }),
			hs512: await forge(client.clientId, sessionId, { alg: "HS512" }),
			expired: await forge(client.clientId, sessionId, { exp: t - 10 }),
			tamperedSignature: `${h}.${p}.${s.slice(0, -2)}${s.endsWith("AA") ? "BB" : "AA"}`,
			tamperedPayload: `${h}.${otherPayload}.${s}`,
			garbage: "not.a.jwt",
			empty: "",
		};
		expect((await me(cookie)).status).toBe(200);
		for (const [name, forged] of Object.entries(attacks)) {
			const res = await me(asCookie(forged));
			expect(res.status, name).toBe(401);
			expect((await res.json()) as { code: string }, name).toMatchObject({ code: "UNAUTHENTICATED" });
		}
	});

	it("accepts tokens of the previous key during a rotation, and only while it is configured", async () => {
		const client = await createClient();
		const { sessionId } = await openSession(client.clientId);
		const old = await forge(client.clientId, sessionId);
		const rotated = { ...env, JWT_SECRET: btoa("n".repeat(32)), JWT_KID: "local-2" };
		await expect(
			verifySessionToken({ ...rotated, JWT_SECRET_PREVIOUS: env.JWT_SECRET, JWT_KID_PREVIOUS: env.JWT_KID }, old),
		).resolves.toMatchObject({
			clientId: client.clientId,
			sessionId,
		});
		await expect(verifySessionToken(rotated, old)).rejects.toMatchObject({ status: 401 });
	});

	it("logout answers 204, clears the cookie and revokes the session at once; without a session it is 401", async () => {
		const client = await createClient();
		const cookie = await signIn(client.clientId, client.password, client.totpSecret);
		const out = await call("/api/auth/logout", { method: "POST", headers: { cookie, origin: SITE } });
		expect(out.status).toBe(204);
		expect(out.headers.get("set-cookie")).toMatch(/^__Host-lb_session=; Max-Age=0;/);
		await expectProblem(await me(cookie), 401, "UNAUTHENTICATED");
		await expectProblem(await call("/api/auth/logout", { method: "POST", headers: { cookie, origin: SITE } }), 401, "UNAUTHENTICATED");
		await expectProblem(await call("/api/auth/logout", { method: "POST", headers: { origin: SITE } }), 401, "UNAUTHENTICATED");
		expect(await auditActions(client.clientId, ["auth.logout"])).toContain("auth.logout");
	});

	it("stops a disabled client's sessions at once", async () => {
		const client = await createClient();
		const cookie = await signIn(client.clientId, client.password, client.totpSecret);
		expect((await me(cookie)).status).toBe(200);
		await env.ACCOUNTS.getByName(client.clientId).setClientStatus("disabled");
		await expectProblem(await me(cookie), 401, "UNAUTHENTICATED");
	});

	it("ends a session idle for more than 15 minutes, and slides the idle timer on use", async () => {
		const client = await createClient();
		const { cookie, sessionId } = await openSession(client.clientId);
		const seen = lastUse(client.clientId, sessionId);
		await seen.set(now() - 14 * 60);
		expect((await me(cookie)).status).toBe(200);
		expect(await seen.get()).toBeGreaterThanOrEqual(now() - 5);
		await seen.set(now() - 16 * 60);
		await expectProblem(await me(cookie), 401, "UNAUTHENTICATED");
	});

	it("records a busy session's use at most once a minute (reads write nothing in between)", async () => {
		const client = await createClient();
		const { cookie, sessionId } = await openSession(client.clientId);
		const seen = lastUse(client.clientId, sessionId);
		const recent = now() - (TOUCH_EVERY_SECONDS - 10);
		await seen.set(recent);
		expect((await me(cookie)).status).toBe(200);
		expect(await seen.get()).toBe(recent);
		await seen.set(now() - TOUCH_EVERY_SECONDS - 1);
		expect((await me(cookie)).status).toBe(200);
		expect(await seen.get()).toBeGreaterThanOrEqual(now() - 5);
	});

	it("ends a session at its absolute limit even when in use", async () => {
		const client = await createClient();
		const { cookie, sessionId } = await openSession(client.clientId);
		await runInDurableObject(env.ACCOUNTS.getByName(client.clientId), (_, state) =>
			state.storage.sql.exec("UPDATE sessions SET expires_at = ? WHERE id = ?", now() - 1, sessionId),
		);
		await expectProblem(await me(cookie), 401, "UNAUTHENTICATED");
	});
});

describe("browser protections", () => {
	it("refuses cross-site and Origin-less state-changing /api requests with 403, and lets same-site ones through", async () => {
		const client = await createClient();
		const body = JSON.stringify({ clientId: client.clientId, password: client.password });
		const headers = browserHeaders();
		await expectProblem(
			await call("/api/auth/login", { method: "POST", headers: { ...headers, origin: "https://evil.example" }, body }),
			403,
			"CROSS_SITE_REQUEST",
		);
		await expectProblem(
			await call("/api/auth/login", { method: "POST", headers: { ...headers, origin: "http://lifeboat.test" }, body }),
			403,
			"CROSS_SITE_REQUEST",
		);
		const { origin: _, ...noOrigin } = headers;
		await expectProblem(await call("/api/auth/login", { method: "POST", headers: noOrigin, body }), 403, "CROSS_SITE_REQUEST");

		const cookie = await signIn(client.clientId, client.password, client.totpSecret);
		await expectProblem(
			await call("/api/auth/logout", { method: "POST", headers: { cookie, origin: "https://evil.example" } }),
			403,
			"CROSS_SITE_REQUEST",
		);
		expect((await me(cookie)).status).toBe(200);
		expect((await call("/api/auth/login", { method: "POST", headers, body })).status).toBe(200);
	});

	it("does not apply the Origin check to machine endpoints (bearer auth)", async () => {
		const res = await call("/ops/failover", { method: "DELETE", headers: { authorization: "Bearer dev-ops-token" } });
		expect(res.status).toBe(200);
	});

	it("sets the security headers on every response: JSON, problems, 404s, ops", async () => {
		const client = await createClient();
		const { cookie } = await openSession(client.clientId);
		const responses = [
			await me(cookie),
			await call("/api/me"),
			await call("/api/nope"),
			await call("/ops/health"),
			await call("/api/auth/login", { method: "POST", headers: { origin: "https://evil.example" } }),
		];
		for (const res of responses) {
			for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), `${res.url} ${name}`).toBe(value);
		}
		const csp = SECURITY_HEADERS["content-security-policy"];
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).not.toContain("unsafe-inline");
	});
});

describe("GET /api/me", () => {
	it("answers from the client's Account after a sign-in (no Postgres), and from Postgres only for a session it never saw signed in", async () => {
		const client = await createClient();
		const signedIn = await signIn(client.clientId, client.password, client.totpSecret);
		const res = await call("/api/me", { headers: { cookie: signedIn } });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ clientId: client.clientId, name: `Test ${client.clientId}` });

		const other = await createClient();
		const { cookie } = await openSession(other.clientId);
		const fallback = await call("/api/me", { headers: { cookie } });
		expect(await fallback.json()).toEqual({ clientId: other.clientId, name: `Test ${other.clientId}` });
		expect(await eventually(async () => (await statementsRunBy(`me:${other.clientId}`)) > 0, "statements counted", 5000)).toBe(true);
		// Checked after the counter has shown it is live: the signed-in client's /api/me ran none.
		expect(await statementsRunBy(`me:${client.clientId}`)).toBe(0);
	});
});
