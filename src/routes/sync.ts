// Replication endpoints (bearer SYNC_TOKEN): change events in from the primary's CDC, and the
// outbox out to the primary's failback job.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import { requireBearer } from "../auth/bearer";
import { withDb } from "../db/client";
import { Problem } from "../http/problem";
import { limitBody, OPS_BODY_LIMIT } from "../http/limits";
import { validate } from "../http/validate";
import { applyChanges } from "../replication/apply";
import { MAX_BATCH_BYTES, parseChanges } from "../replication/events";
import { replicationMapping } from "../replication/mapping";
import { notifyAccounts } from "../replication/notify";
import { ackOutbox, decodeCursor, readOutbox } from "../replication/outbox";

const OutboxQuery = z.object({
	after: z.string().max(40).optional(),
	limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const AckBody = z.object({
	consumer: z.string().trim().min(1).max(100).default("primary"),
	cursor: z.string().min(1).max(40),
});

export const sync = new Hono<AppEnv>()
	.use(requireBearer("SYNC_TOKEN"))
	.post("/changes", limitBody(MAX_BATCH_BYTES, "BATCH_TOO_LARGE"), async (c) => {
		// Where a batch's time goes, for the sender and the bench (Server-Timing, in ms).
		const timing: string[] = [];
		let mark = performance.now();
		const lap = (name: string) => {
			const now = performance.now();
			timing.push(`${name};dur=${(now - mark).toFixed(1)}`);
			mark = now;
		};
		const text = await c.req.text();
		lap("read");
		let body: unknown;
		try {
			body = JSON.parse(text);
		} catch {
			throw new Problem(400, "MALFORMED_REQUEST", "the body is not JSON");
		}
		const changes = parseChanges(body, replicationMapping(c.env));
		lap("parse");
		const result = await withDb(
			c.env,
			"sync",
			async (db) => {
				const applied = await applyChanges(db, changes);
				lap("apply");
				// Awaited (bounded, never failing the batch) so the sender's 200 means live state was told too.
				const { notified } = await notifyAccounts(c.env, db, applied);
				lap("notify");
				return { ...applied, notified };
			},
			(p) => c.executionCtx.waitUntil(p),
		);
		c.header("Server-Timing", timing.join(", "));
		return c.json({
			applied: result.applied,
			skipped: result.skipped,
			duplicates: result.duplicates,
			tombstones: result.tombstones,
			notified: result.notified,
		});
	})
	.get("/outbox", validate("query", OutboxQuery), async (c) => {
		const { after, limit } = c.req.valid("query");
		const page = await withDb(
			c.env,
			"outbox",
			(db) => readOutbox(db, decodeCursor(after), limit),
			(p) => c.executionCtx.waitUntil(p),
		);
		return c.json(page);
	})
	.post("/outbox/ack", limitBody(OPS_BODY_LIMIT), validate("json", AckBody), async (c) => {
		const { consumer, cursor } = c.req.valid("json");
		const acked = await withDb(
			c.env,
			"outbox",
			(db) => ackOutbox(db, consumer, decodeCursor(cursor)),
			(p) => c.executionCtx.waitUntil(p),
		);
		return c.json(acked);
	});
