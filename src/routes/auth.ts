// Sign-in (api.md "Authentication"): password, then TOTP, then a session cookie. The
// throttling design and its numbers: docs/security.md.
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AuditEntry } from "../contract";
import type { AppEnv } from "../http/app-env";
import { sendAlert } from "../observability/alerts";
import { audit, auditEntry } from "../observability/audit";
import { log, logForClient } from "../observability/log";
import { addressKey } from "../auth/address";
import { openChallenge, sealChallenge } from "../auth/challenge";
import { requireSession, type SessionEnv } from "../auth/middleware";
import { verifyDummyPassword, verifyPassword } from "../auth/password";
import { openSeed, sealSeed } from "../auth/seed-box";
import { ABSOLUTE_TIMEOUT_SECONDS, clearSessionCookie, issueSessionToken, setSessionCookie } from "../auth/session";
import { verifyTotp } from "../auth/totp";
import { schema, withDb } from "../db/client";
import { Problem } from "../http/problem";
import { idText, noBody, validate } from "../http/validate";

const LoginBody = z
	.object({
		clientId: idText(64),
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
/** The address a sign-in counts against: IPv4, or the IPv6 /64 (src/auth/address.ts). */
const clientAddress = (c: { req: { header(name: string): string | undefined } }) => addressKey(c.req.header("cf-connecting-ip"));

/** Per-address limit on sign-in requests, any client id (the LOGIN_LIMITER binding: 20 a minute). */
const limitPerAddress = createMiddleware<AppEnv>(async (c, next) => {
	const { success } = await c.env.LOGIN_LIMITER.limit({ key: clientAddress(c) });
	if (!success) throw new Problem(429, "RATE_LIMITED", "too many sign-in attempts from this address; wait a minute");
	await next();
});

const invalidOtp = () =>
	new Problem(
		401,
		"INVALID_OTP",
		"the client id, password or code is wrong, or the code expired or was used; start again if this keeps failing",
	);
const locked = (until: number) =>
	new Problem(423, "ACCOUNT_LOCKED", "too many failed sign-in attempts from this address; try again later", {
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

/**
 * A sealed TOTP seed nobody holds, for challenges of unknown client ids: their code is checked
 * against it, so the TOTP step costs the same as for a real client. One per isolate and key.
 */
const dummySeeds = new Map<string, Promise<string>>();
function dummySealedSeed(key: string): Promise<string> {
	let sealed = dummySeeds.get(key);
	if (!sealed) {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
		const seed = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => alphabet[b % 32]).join("");
		sealed = sealSeed(seed, key);
		dummySeeds.set(key, sealed);
	}
	return sealed;
}

/** What a failed sign-in step leaves: a log line always (client hashed), audit entries only for real clients. */
async function recordFailure(
	c: { env: Env; executionCtx: { waitUntil(p: Promise<unknown>): void } },
	f: { step: "login" | "totp"; clientId: string; known: boolean; reason: string; address: string },
	entries: AuditEntry[],
) {
	await logForClient("auth.sign_in_failed", f.clientId, { step: f.step, reason: f.reason, address: f.address }, "warn");
	// Not awaited: a request whose password was wrong must take as long as one whose was right.
	if (f.known && entries.length > 0)
		c.executionCtx.waitUntil(audit(c.env, ...entries).catch((err) => log("auth.audit_failed", { message: String(err) }, "error")));
}

export const auth = new Hono<AppEnv>()
	/**
	 * Always a challenge unless throttled: the password's verdict is told only with the TOTP
	 * step, together with the code's, so a stranger never learns whether a password was right.
	 * Unknown, disabled and wrong-password logins do the same work, in the same order.
	 */
	.post("/login", limitPerAddress, validate("json", LoginBody), async (c) => {
		const { clientId, password } = c.req.valid("json");
		const address = clientAddress(c);
		const client = await findClient(c.env, clientId, (p) => c.executionCtx.waitUntil(p));
		if (client === undefined) throw new Problem(503, "SIGN_IN_UNAVAILABLE", "sign-in is unavailable for a moment; try again");
		const known = client !== null;
		// Unknown ids get an Account too, but it keeps their state in memory and stores nothing.
		const account = c.env.ACCOUNTS.getByName(clientId);
		const now = nowSeconds();
		const start = await account.beginSignIn(known, address, now);
		if (!start.ok) {
			await logForClient("auth.sign_in_throttled", clientId, { step: "login", address }, "warn");
			throw locked(start.lockedUntil);
		}
		// Unknown and disabled clients pay for a PBKDF2 run too.
		const passwordOk =
			client && client.status === "active"
				? await verifyPassword(client.passwordHash, password, c.env.PASSWORD_PEPPER)
				: await verifyDummyPassword(password, c.env.PASSWORD_PEPPER);
		const { challengeId, nonce } = await sealChallenge(c.env.JWT_SECRET, clientId, known);
		const expiresAt = await account.openChallenge(
			known,
			{
				nonce,
				name: client?.name ?? "",
				sealedSeed: client?.sealedSeed ?? (await dummySealedSeed(c.env.TOTP_ENC_KEY)),
				passwordOk,
				address,
			},
			now,
		);
		if (!passwordOk || start.lockedNow !== null) {
			const reason = !client ? "unknown_client" : client.status !== "active" ? "client_disabled" : passwordOk ? "locked" : "wrong_password";
			const actor = `client:${clientId}`;
			const entries = passwordOk ? [] : [auditEntry("auth.login_failed", actor, clientId, { reason, ip: address })];
			if (start.lockedNow !== null)
				entries.push(auditEntry("auth.locked", "system", clientId, { scope: "address", ip: address, until: iso(start.lockedNow) }));
			await recordFailure(c, { step: "login", clientId, known, reason, address }, entries);
		}
		return c.json({ challengeId, factor: "totp" as const, expiresAt: iso(expiresAt) });
	})
	/** Fails the same way for a wrong password (told only now), a wrong code, and an unknown client id. */
	.post("/totp", limitPerAddress, validate("json", TotpBody), async (c) => {
		const { challengeId, code } = c.req.valid("json");
		const challenge = await openChallenge(c.env.JWT_SECRET, challengeId);
		if (!challenge) throw invalidOtp();
		const { clientId, nonce, known } = challenge;
		const address = clientAddress(c);
		const account = c.env.ACCOUNTS.getByName(clientId);
		const now = nowSeconds();
		const start = await account.beginTotp(known, nonce, address, now);
		if (!start.ok && start.reason === "LOCKED") {
			await logForClient("auth.sign_in_throttled", clientId, { step: "totp", address }, "warn");
			throw locked(start.lockedUntil);
		}
		// Without an open challenge the code is still checked (against a seed nobody holds), so that answer takes as long too.
		const sealedSeed = start.ok ? start.sealedSeed : await dummySealedSeed(c.env.TOTP_ENC_KEY);
		const seed = await openSeed(sealedSeed, c.env.TOTP_ENC_KEY);
		const step = await verifyTotp(seed, code, now, start.ok ? start.lastStep : null);
		const sessionId = crypto.randomUUID();
		const done = await account.finishTotp(known, {
			nonce,
			step,
			address,
			sessionId,
			nowSeconds: now,
			expiresAt: now + ABSOLUTE_TIMEOUT_SECONDS,
		});
		const actor = `client:${clientId}`;
		if (!done.ok) {
			const reason = known ? done.reason.toLowerCase() : "unknown_client";
			const entries = [auditEntry("auth.totp_failed", actor, clientId, { reason, ip: address })];
			if (done.addressLockedUntil !== null)
				entries.push(auditEntry("auth.locked", "system", clientId, { scope: "address", ip: address, until: iso(done.addressLockedUntil) }));
			if (done.secondFactorLockedUntil !== null) {
				entries.push(
					auditEntry("auth.second_factor_locked", "system", clientId, {
						failures: done.secondFactorFailures,
						until: done.secondFactorLockedUntil >= Number.MAX_SAFE_INTEGER ? null : iso(done.secondFactorLockedUntil),
						ip: address,
					}),
				);
				c.executionCtx.waitUntil(secondFactorAlert(c.env, clientId, done.secondFactorFailures));
			}
			await recordFailure(c, { step: "totp", clientId, known, reason, address }, entries);
			if (done.reason === "DISABLED_BY_OPS")
				throw new Problem(403, "CLIENT_DISABLED", "access to this site is disabled for this client id; call the broker's helpline");
			throw invalidOtp();
		}
		const session = await issueSessionToken(c.env, clientId, sessionId, now);
		await audit(c.env, auditEntry("auth.login_succeeded", actor, clientId, { ip: address, sessionId }));
		setSessionCookie(c, session.token);
		return c.json({ clientId, name: done.name, expiresAt: iso(session.expiresAt) });
	});

/**
 * Wrong codes after the right password, from addresses the client never signed in from: the
 * password is known to someone else. Ops hear of it (the account stays locked to strangers).
 */
async function secondFactorAlert(env: Env, clientId: string, failures: number) {
	await sendAlert(env, {
		event: "auth.second_factor_locked",
		text: `Client ${clientId}: ${failures} wrong sign-in codes after a correct password from unfamiliar addresses. The password is likely known to someone else: sign-in from new addresses is locked; have the client change it.`,
		detail: { clientId, failures },
		clientId,
	});
}

/** Logout needs a live session (401 otherwise, like every request without one); it revokes it at once. */
export const logout = new Hono<SessionEnv>().post("/", requireSession, noBody, async (c) => {
	await c.var.account.revokeSession(c.var.sessionId, nowSeconds());
	await audit(c.env, auditEntry("auth.logout", `client:${c.var.clientId}`, c.var.clientId, { sessionId: c.var.sessionId }));
	clearSessionCookie(c);
	return c.body(null, 204);
});
