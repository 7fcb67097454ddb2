import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Account } from "../../durable-objects/account";
import type { AppEnv } from "../app-env";
import { Problem } from "../http/problem";
import { SESSION_COOKIE, verifySessionToken } from "./session";

export interface SessionEnv extends AppEnv {
	Variables: AppEnv["Variables"] & {
		clientId: string;
		sessionId: string;
		account: DurableObjectStub<Account>;
	};
}

/** Admits a request only with a valid token whose session the client's Account still holds. */
export const requireSession = createMiddleware<SessionEnv>(async (c, next) => {
	const token = getCookie(c, SESSION_COOKIE);
	if (!token) throw new Problem(401, "UNAUTHENTICATED", "sign in first");
	const claims = await verifySessionToken(c.env, token);
	const account = c.env.ACCOUNTS.getByName(claims.clientId);
	const check = await account.touchSession(claims.sessionId, Math.floor(Date.now() / 1000));
	if (!check.ok) throw new Problem(401, "UNAUTHENTICATED", `session not valid (${check.reason.toLowerCase().replaceAll("_", " ")})`);
	c.set("clientId", claims.clientId);
	c.set("sessionId", claims.sessionId);
	c.set("account", account);
	await next();
});
