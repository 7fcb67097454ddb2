import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { requireSessionToken, type SessionEnv, sessionRef } from "../auth/middleware";
import { sessionRefusedDetail } from "../auth/session";
import { schema, withDb } from "../db/client";
import { Problem } from "../http/problem";

/**
 * GET /api/me: who the session belongs to. The Account checks the session and knows the name
 * from sign-in, so this works while Postgres is away; only a session the Account never saw a
 * sign-in for (none in production) asks Postgres for the name.
 */
export const me = new Hono<SessionEnv>().get("/", requireSessionToken, async (c) => {
	const result = await c.var.account.me(sessionRef(c));
	if (!result.ok) throw new Problem(401, "UNAUTHENTICATED", sessionRefusedDetail(result.reason));
	if (result.name !== null) return c.json({ clientId: c.var.clientId, name: result.name });
	const [row] = await withDb(
		c.env,
		`me:${c.var.clientId}`,
		(db) => db.select({ name: schema.clients.name }).from(schema.clients).where(eq(schema.clients.clientId, c.var.clientId)).limit(1),
		(p) => c.executionCtx.waitUntil(p),
	);
	if (!row) throw new Problem(401, "UNAUTHENTICATED", "this client no longer exists");
	return c.json({ clientId: c.var.clientId, name: row.name });
});
