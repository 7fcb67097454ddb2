// POST /oms/events: the OMS reports acknowledgements, fills, rejections and cancellations, one
// signed event per request. The signature is checked on the raw body before anything is parsed;
// stale timestamps are refused (oms-signature.ts) and repeated event ids change nothing (the
// Account remembers them).
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { Problem } from "../http/problem";
import { checkSignature } from "../oms-signature";
import { toPaise } from "../trading/rules";

const OmsEventBody = z.object({
	eventId: z.string().min(1).max(200),
	orderId: z.string().min(1).max(100),
	clientId: z.string().min(1).max(100),
	type: z.enum(["ACK", "FILL", "REJECT", "CANCELLED"]),
	fillQty: z.number().int().positive().optional(),
	fillPrice: z
		.string()
		.refine((p) => toPaise(p) !== null, "fillPrice must be a positive amount with at most 2 decimals")
		.optional(),
	reason: z.string().max(500).optional(),
	at: z.string().min(1).max(50),
});

export const omsEvents = new Hono<AppEnv>().post("/", async (c) => {
	const text = await c.req.text();
	const sig = await checkSignature(c.env.OMS_HMAC_SECRET, text, c.req.raw.headers);
	if (!sig.ok) throw new Problem(401, "INVALID_SIGNATURE", `signature ${sig.reason.toLowerCase()}`);
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw new Problem(400, "MALFORMED_REQUEST", "the body is not JSON");
	}
	const parsed = OmsEventBody.safeParse(json);
	if (!parsed.success) throw new Problem(400, "INVALID_BODY", parsed.error.issues[0]?.message ?? "invalid event");
	const event = parsed.data;
	if (event.type === "FILL" && event.fillQty === undefined) throw new Problem(400, "INVALID_BODY", "a FILL carries fillQty");
	const result = await c.env.ACCOUNTS.getByName(event.clientId).applyOmsEvent(event);
	if (result === "unknown_order") throw new Problem(404, "ORDER_NOT_FOUND", "no order with this id for this client");
	return c.json({ eventId: event.eventId, result });
});
