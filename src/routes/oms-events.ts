// POST /oms/events: the OMS reports acknowledgements, fills, rejections and cancellations: one
// signed event per request, or many as `{ events: [...] }` under one signature (an OMS that
// batches its postbacks costs one request per batch instead of one per event). The body is
// limited before it is read (src/index.ts), the signature (the OMS's own key, over method, path,
// timestamp and body) is checked on the raw body before anything is parsed; stale timestamps
// are refused (relay/signature.ts) and repeated event ids change nothing (the Account remembers them).
import { Hono } from "hono";
import type { AppEnv } from "../http/app-env";
import { Problem } from "../http/problem";
import { parseJson } from "../http/validate";
import { checkSignature, signedPath } from "../relay/signature";
import type { OmsEvent, OmsEventResult } from "../contract";
import { OmsEventBatch, OmsEventBody } from "../contract/schemas";

export const omsEvents = new Hono<AppEnv>().post("/", async (c) => {
	const text = await c.req.text();
	const sig = await checkSignature(
		c.env.OMS_EVENTS_HMAC_SECRET,
		{ method: c.req.method, path: signedPath(c.req.url), body: text },
		c.req.raw.headers,
	);
	if (!sig.ok) throw new Problem(401, "INVALID_SIGNATURE", `signature ${sig.reason.toLowerCase()}`);
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw new Problem(400, "MALFORMED_REQUEST", "the body is not JSON");
	}
	if (typeof json === "object" && json !== null && "events" in json) {
		// A batch is checked whole before anything is applied: one bad event refuses them all.
		const { events } = parseJson(OmsEventBatch, json);
		const results = await applyEvents(c.env, events);
		return c.json({ results: events.map((e, i) => ({ eventId: e.eventId, result: results[i] })) });
	}
	const event = parseJson(OmsEventBody, json);
	const [result] = await applyEvents(c.env, [event]);
	if (result === "unknown_order") throw new Problem(404, "ORDER_NOT_FOUND", "no order with this id for this client");
	return c.json({ eventId: event.eventId, result });
});

/** One Account call per client, clients side by side; each client's events in the order sent. */
async function applyEvents(env: AppEnv["Bindings"], events: OmsEvent[]): Promise<OmsEventResult[]> {
	const byClient = new Map<string, { index: number; event: OmsEvent }[]>();
	for (const [index, event] of events.entries()) {
		const mine = byClient.get(event.clientId);
		if (mine) mine.push({ index, event });
		else byClient.set(event.clientId, [{ index, event }]);
	}
	const results: OmsEventResult[] = new Array(events.length);
	await Promise.all(
		[...byClient].map(async ([clientId, mine]) => {
			const applied = await env.ACCOUNTS.getByName(clientId).applyOmsEvents(mine.map((m) => m.event));
			for (const [k, { index }] of mine.entries()) {
				const result = applied[k];
				if (result === undefined) throw new Error(`the Account answered ${applied.length} results for ${mine.length} events`);
				results[index] = result;
			}
		}),
	);
	return results;
}
