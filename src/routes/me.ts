import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { requireSession, type SessionEnv } from "../auth/middleware";
import { openDb, schema } from "../db/client";
import { Problem } from "../http/problem";

/** GET /api/me: who the session belongs to. */
export const me = new Hono<SessionEnv>().get("/", requireSession, async (c) => {
	const { db, close } = openDb(c.env);
	try {
		const [row] = await db
			.select({ name: schema.clients.name })
			.from(schema.clients)
			.where(eq(schema.clients.clientId, c.var.clientId))
			.limit(1);
		if (!row) throw new Problem(401, "UNAUTHENTICATED", "this client no longer exists");
		return c.json({ clientId: c.var.clientId, name: row.name });
	} finally {
		c.executionCtx.waitUntil(close());
	}
});
