// Ops' view of the notices (api.md "Notices"), under /ops (bearer OPS_TOKEN):
//   GET  /ops/notices                              counts, and the last transitions with theirs
//   POST /ops/notices/{transitionId}/resend        once the gateway works again: every notice of
//                                                  the transition not sent yet is queued again
import { desc, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import { schema, withDb } from "../db/client";
import { Problem } from "../http/problem";
import { idText, noBody, validate } from "../http/validate";
import { noticeCounts } from "../notices/counts";
import { noticeRate, queueSends, sendMessages } from "../notices/pace";
import { requeueUnsent } from "../notices/store";

const TransitionParam = z.object({ transitionId: idText(200) });

export const notices = new Hono<AppEnv>()
	.get("/", async (c) => {
		const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
		const { counts, transitions } = await withDb(
			c.env,
			"ops-notices",
			async (db) => {
				const t = schema.noticeTransitions;
				const n = schema.notices;
				const transitions = await db
					.select({
						id: t.id,
						kind: t.kind,
						at: t.at,
						alertedAt: t.alertedAt,
						queued: sql<number>`(SELECT count(*)::int FROM ${n} WHERE ${n.transitionId} = ${t.id})`,
						sent: sql<number>`(SELECT count(*)::int FROM ${n} WHERE ${n.transitionId} = ${t.id} AND ${n.status} = 'sent')`,
						failed: sql<number>`(SELECT count(*)::int FROM ${n} WHERE ${n.transitionId} = ${t.id} AND ${n.status} = 'failed')`,
					})
					.from(t)
					.orderBy(desc(t.at))
					.limit(10);
				return { counts: await noticeCounts(db), transitions };
			},
			waitUntil,
		);
		return c.json({ ...counts, transitions });
	})
	.post("/:transitionId/resend", validate("param", TransitionParam), noBody, async (c) => {
		const { transitionId } = c.req.valid("param");
		const clientIds = await withDb(c.env, "ops-notices", (db) => requeueUnsent(db, transitionId));
		if (clientIds === null) throw new Problem(404, "NOT_FOUND", `no notices of transition ${transitionId}`);
		await queueSends(c.env, sendMessages(transitionId, clientIds, 0, Date.now(), noticeRate(c.env)));
		return c.json({ transitionId, queued: clientIds.length });
	});
