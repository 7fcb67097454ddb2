// Sign-in (api.md "Authentication"): password, then TOTP, then a session cookie.
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import { audit, auditEntry } from "../observability/audit";
import { log } from "../observability/log";
import { openChallenge, sealChallenge } from "../auth/challenge";
import { requireSession, type SessionEnv } from "../auth/middleware";
import { verifyDummyPassword, verifyPassword } from "../auth/password";
import { openSeed } from "../auth/seed-box";
import { ABSOLUTE_TIMEOUT_SECONDS, clearSessionCookie, issueSessionToken, setSessionCookie } from "../auth/session";
import { verifyTotp } from "../auth/totp";
import { schema, withDb } from "../db/client";
import { Problem } from "../http/problem";
import { noBody, validate } from "../http/validate";

const LoginBody = z
	.object({
		// No control characters: no client id has them, and Postgres text cannot hold NUL.
		clientId: z
			.string()
			.min(1)
			.max(64)
			.regex(/^\P{Cc}+$/u, "no control characters"),
		// No composition rules; long passphrases welcome, but not megabytes of them.
		password: z.string().min(1).max(1024),
	})
	.strict();
const TotpBody = z
	.object({
		challengeId: z.string().min(1).max(512),
		code: z.string().regex(/^\d{6}$/, "a 6-digit code"),
	})
	.strict();

const nowSeconds = () => Math.floor(Date.now() / 1000);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const clientIp = (c: { req: { header(name: string): string | undefined } }) => c.req.header("cf-connecting-ip") ?? "unknown";

/** Per-IP limit on sign-in requests (the LOGIN_LIMITER binding: 20 a minute). */
const limitPerIp = createMiddleware<AppEnv>(async (c, next) => {
	const { success } = await c.env.LOGIN_LIMITER.limit({ key: clientIp(c) });
	if (!success) throw new Problem(429, "RATE_LIMITED", "too many sign-in attempts from this address; wait a minute");
	await next();
});

const invalidCredentials = () => new Problem(401, "INVALID_CREDENTIALS", "client id or password is wrong");
const invalidOtp = () => new Problem(401, "INVALID_OTP", "the code is wrong, expired or already used; sign in again if this keeps failing");
const locked = (until: number) =>
	new Problem(423, "ACCOUNT_LOCKED", "too many failed sign-in attempts; try again later", {
		lockedUntil: iso(until),
		retryAfterSeconds: Math.max(1, until - nowSeconds()),
	});

/** The client row sign-in needs, or null. Postgres trouble is a 503, never a wrong-password answer. */
async function findClient(env: Env, clientId: string, waitUntil: (p: Promise<unknown>) => void) {
	try {
		const [row] = await withDb(
			env,
			undefined,
			(db) =>
				db
					.select({
						name: schema.clients.name,
						passwordHash: schema.clients.passwordHash,
						sealedSeed: schema.clients.totpSeedEnc,
						status: schema.clients.status,
					})
					.from(schema.clients)
					.where(eq(schema.clients.clientId, clientId))
					.limit(1),
			waitUntil,
		);
		return row ?? null;
	} catch (err) {
		log("auth.client_lookup_failed", { message: String(err) }, "error");
		return undefined;
	}
}

export const auth = new Hono<AppEnv>()
	.post("/login", limitPerIp, validate("json", LoginBody), async (c) => {
		const { clientId, password } = c.req.valid("json");
		const ip = clientIp(c);
		const actor = `client:${clientId}`;
		// Unknown client ids get their own Account too: counting (and locking) them exactly like
		// real ones is what keeps lockouts from telling which ids exist. The per-IP limit bounds
		// how fast anyone can create them.
		const account = c.env.ACCOUNTS.getByName(clientId);
		const now = nowSeconds();
		const attempt = await account.beginAttempt(now);
		if (!attempt.ok) throw locked(attempt.lockedUntil);

		const client = await findClient(c.env, clientId, (p) => c.executionCtx.waitUntil(p));
		if (client === undefined) {
			await account.releaseAttempt(attempt.lockedUntil !== null);
			throw new Problem(503, "SIGN_IN_UNAVAILABLE", "sign-in is unavailable for a moment; try again");
		}
		// Unknown and disabled clients pay for a PBKDF2 run too, and get the same answer as a wrong password.
		const passwordOk =
			client && client.status === "active"
				? await verifyPassword(client.passwordHash, password, c.env.PASSWORD_PEPPER)
				: await verifyDummyPassword(password, c.env.PASSWORD_PEPPER);
		if (!client || !passwordOk) {
			const reason = !client ? "unknown_client" : client.status !== "active" ? "client_disabled" : "wrong_password";
			const knownId = client ? clientId : null;
			const entries = [auditEntry("auth.login_failed", actor, knownId, { reason, ip, submittedClientId: clientId })];
			if (attempt.lockedUntil !== null)
				entries.push(auditEntry("auth.locked", "system", knownId, { submittedClientId: clientId, ip, until: iso(attempt.lockedUntil) }));
			await audit(c.env, ...entries);
			throw attempt.lockedUntil !== null ? locked(attempt.lockedUntil) : invalidCredentials();
		}

		const { challengeId, nonce } = await sealChallenge(c.env.JWT_SECRET, clientId);
		const expiresAt = await account.passwordAccepted(
			attempt.lockedUntil !== null,
			{ nonce, name: client.name, sealedSeed: client.sealedSeed },
			now,
		);
		return c.json({ challengeId, factor: "totp" as const, expiresAt: iso(expiresAt) });
	})
	.post("/totp", limitPerIp, validate("json", TotpBody), async (c) => {
		const { challengeId, code } = c.req.valid("json");
		const challenge = await openChallenge(c.env.JWT_SECRET, challengeId);
		if (!challenge) throw invalidOtp();
		const { clientId, nonce } = challenge;
		const actor = `client:${clientId}`;
		const ip = clientIp(c);
		const account = c.env.ACCOUNTS.getByName(clientId);
		const now = nowSeconds();
		const attempt = await account.beginTotpAttempt(nonce, now);
		if (!attempt.ok) throw attempt.reason === "LOCKED" ? locked(attempt.lockedUntil) : invalidOtp();

		const seed = await openSeed(attempt.sealedSeed, c.env.TOTP_ENC_KEY);
		const step = await verifyTotp(seed, code, now, attempt.lastStep);
		const sessionId = crypto.randomUUID();
		const done = step === null ? null : await account.completeSignIn(nonce, step, sessionId, now, now + ABSOLUTE_TIMEOUT_SECONDS);
		if (!done?.ok) {
			const reason = done ? done.reason.toLowerCase() : "wrong_code";
			const entries = [auditEntry("auth.totp_failed", actor, clientId, { reason, ip })];
			if (attempt.lockedUntil !== null)
				entries.push(auditEntry("auth.locked", "system", clientId, { ip, until: iso(attempt.lockedUntil) }));
			await audit(c.env, ...entries);
			throw attempt.lockedUntil !== null ? locked(attempt.lockedUntil) : invalidOtp();
		}
		const session = await issueSessionToken(c.env, clientId, sessionId, now);
		await audit(c.env, auditEntry("auth.login_succeeded", actor, clientId, { ip, sessionId }));
		setSessionCookie(c, session.token);
		return c.json({ clientId, name: attempt.name, expiresAt: iso(session.expiresAt) });
	});

/** Logout needs a live session (401 otherwise, like every request without one); it revokes it at once. */
export const logout = new Hono<SessionEnv>().post("/", requireSession, noBody, async (c) => {
	await c.var.account.revokeSession(c.var.sessionId, nowSeconds());
	await audit(c.env, auditEntry("auth.logout", `client:${c.var.clientId}`, c.var.clientId, { sessionId: c.var.sessionId }));
	clearSessionCookie(c);
	return c.body(null, 204);
});
