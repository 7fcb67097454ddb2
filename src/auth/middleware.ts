import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Account } from "../../durable-objects/account";
import type { AppEnv } from "../http/app-env";
import { Problem } from "../http/problem";
import type { SessionRef } from "../contract";
import { SESSION_COOKIE, sessionRefusedDetail, verifySessionToken } from "./session";

export interface SessionEnv extends AppEnv {
	Variables: AppEnv["Variables"] & {
		clientId: string;
		sessionId: string;
		account: DurableObjectStub<Account>;
	};
}

/**
 * Admits a request with a valid session token, and gives it the client's Account. The Account
 * still has to agree the session is live: trading calls carry the session (`sessionRef`) and
 * the Account checks it in the same RPC; other routes use `requireSession`.
 */
export const requireSessionToken = createMiddleware<SessionEnv>(async (c, next) => {
	const token = getCookie(c, SESSION_COOKIE);
	if (!token) throw new Problem(401, "UNAUTHENTICATED", "sign in first");
	const claims = await verifySessionToken(c.env, token);
	c.set("clientId", claims.clientId);
	c.set("sessionId", claims.sessionId);
	c.set("account", c.env.ACCOUNTS.getByName(claims.clientId));
	await next();
});

export const sessionRef = (c: { var: Pick<SessionEnv["Variables"], "clientId" | "sessionId"> }): SessionRef => ({
	clientId: c.var.clientId,
	sessionId: c.var.sessionId,
	nowSeconds: Math.floor(Date.now() / 1000),
});

/** Admits a request only with a valid token whose session the client's Account still holds. */
export const requireSession = createMiddleware<SessionEnv>(async (c, next) =>
	requireSessionToken(c, async () => {
		const check = await c.var.account.touchSession(c.var.sessionId, sessionRef(c).nowSeconds);
		if (!check.ok) throw new Problem(401, "UNAUTHENTICATED", sessionRefusedDetail(check.reason));
		await next();
	}),
);
