// Session tokens (RFC 8725): HS256 only, every registered claim checked, `typ` pinned.
// The token alone is never enough: the client's Account Durable Object also holds the
// session row, which is what logout revokes and what the idle timeout slides on.
import type { Context } from "hono";
import { setCookie } from "hono/cookie";
import { SignJWT, errors, jwtVerify } from "jose";
import type { SessionRefusedReason } from "../contract";
import { Problem } from "../http/problem";

export const SESSION_COOKIE = "__Host-lb_session";
export const SESSION_ISSUER = "lifeboat";
export const SESSION_AUDIENCE = "lifeboat-trader";
export const SESSION_TYP = "lb-session+jwt";
export const IDLE_TIMEOUT_SECONDS = 15 * 60;
export const ABSOLUTE_TIMEOUT_SECONDS = 8 * 60 * 60;

/** The 401 detail for a session the Account no longer accepts. */
export const sessionRefusedDetail = (reason: SessionRefusedReason) => `session not valid (${reason.toLowerCase().replaceAll("_", " ")})`;

export interface SessionClaims {
	clientId: string;
	sessionId: string;
	issuedAt: number;
	expiresAt: number;
}

const keyCache = new Map<string, Uint8Array>();
function signingKey(secretB64: string): Uint8Array {
	let key = keyCache.get(secretB64);
	if (!key) {
		key = Uint8Array.from(atob(secretB64), (ch) => ch.charCodeAt(0));
		if (key.length < 32) throw new Error("JWT_SECRET must be at least 32 random bytes, base64");
		keyCache.set(secretB64, key);
	}
	return key;
}

export async function issueSessionToken(env: Pick<Env, "JWT_SECRET" | "JWT_KID">, clientId: string, sessionId: string, nowSeconds: number) {
	const expiresAt = nowSeconds + ABSOLUTE_TIMEOUT_SECONDS;
	const token = await new SignJWT({})
		.setProtectedHeader({ alg: "HS256", typ: SESSION_TYP, kid: env.JWT_KID })
		.setIssuer(SESSION_ISSUER)
		.setAudience(SESSION_AUDIENCE)
		.setSubject(clientId)
		.setJti(sessionId)
		.setIssuedAt(nowSeconds)
		.setNotBefore(nowSeconds)
		.setExpirationTime(expiresAt)
		.sign(signingKey(env.JWT_SECRET));
	return { token, expiresAt };
}

const unauthenticated = (detail: string) => new Problem(401, "UNAUTHENTICATED", detail);

type SessionKeys = Pick<Env, "JWT_SECRET" | "JWT_KID" | "JWT_SECRET_PREVIOUS" | "JWT_KID_PREVIOUS">;

/** The key a token's `kid` names: the current one, or the previous one while a rotation settles. */
function verificationKey(env: SessionKeys, kid: string | undefined): Uint8Array {
	if (kid === env.JWT_KID) return signingKey(env.JWT_SECRET);
	if (kid && kid === env.JWT_KID_PREVIOUS && env.JWT_SECRET_PREVIOUS) return signingKey(env.JWT_SECRET_PREVIOUS);
	throw unauthenticated("session signed with an unknown key");
}

export async function verifySessionToken(env: SessionKeys, token: string): Promise<SessionClaims> {
	try {
		const { payload } = await jwtVerify(token, (header) => verificationKey(env, header.kid), {
			algorithms: ["HS256"],
			issuer: SESSION_ISSUER,
			audience: SESSION_AUDIENCE,
			typ: SESSION_TYP,
			requiredClaims: ["sub", "jti", "iat", "nbf", "exp"],
			maxTokenAge: ABSOLUTE_TIMEOUT_SECONDS,
		});
		return {
			clientId: payload.sub as string,
			sessionId: payload.jti as string,
			issuedAt: payload.iat as number,
			expiresAt: payload.exp as number,
		};
	} catch (err) {
		if (err instanceof Problem) throw err;
		if (err instanceof errors.JWTExpired) throw unauthenticated("session expired");
		throw unauthenticated("invalid session");
	}
}

/** `__Host-` cookie: Secure, Path=/, no Domain; lives as long as the session can. */
export function setSessionCookie(c: Context, token: string) {
	setCookie(c, SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: "Strict", path: "/", maxAge: ABSOLUTE_TIMEOUT_SECONDS });
}

export function clearSessionCookie(c: Context) {
	setCookie(c, SESSION_COOKIE, "", { httpOnly: true, secure: true, sameSite: "Strict", path: "/", maxAge: 0 });
}
