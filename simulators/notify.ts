// Simulator of the broker's SMS/e-mail gateway (never deployed). It takes notices the way the
// real one would (signature checked with NOTIFY_HMAC_SECRET, a repeat of an Idempotency-Key
// answered 409 and not delivered twice), records what it would deliver, and can be told to
// misbehave:
//   POST /__control { mode: "accept" | "error" | "hang" | "reject" }   every notice
//   POST /__control { clients: { "<clientId>": { mode, failTimes, loseAnswerTimes } } }
//        one client only (tests share the simulator: each uses its own clients)
//   POST /__control { reset: true }
//   GET  /__stats                { messages: [{ clientId, kind, channel, to, ... }], received, duplicates, ... }
//   GET  /__stats?clientId=X     { messages, received }: that client's notices, and every request about it
import http from "node:http";
import { assertHmacSecrets, checkSignature } from "../src/relay/signature.ts";
import type { NoticePayload } from "../src/contract/index.ts";
import { close, listen, readBody, sendJson } from "./http.ts";

type Mode = "accept" | "error" | "hang" | "reject";

interface Behaviour {
	mode?: Mode;
	/** The first N notices answer 503. */
	failTimes?: number;
	/** Take the first N notices, then never answer (the sender times out and sends again). */
	loseAnswerTimes?: number;
}

export interface DeliveredNotice {
	noticeId: string;
	clientId: string;
	kind: NoticePayload["kind"];
	channel: NoticePayload["channel"];
	to: string;
	templateId: string;
	variables: Record<string, string>;
	/** When it was handed over (ms since the epoch). */
	at: number;
}

export async function startNotifySimulator(opts: { port?: number; secret: string }) {
	assertHmacSecrets({ NOTIFY_HMAC_SECRET: opts.secret }, ["NOTIFY_HMAC_SECRET"]);
	let mode: Mode = "accept";
	const behaviours = new Map<string, Behaviour>();
	const delivered = new Map<string, DeliveredNotice>();
	const stats = { received: 0, duplicates: 0, errors: 0, rejected: 0, hung: 0, badSignatures: 0 };
	/** Requests per client, repeats included: a sender that hands a notice over twice shows here. */
	const receivedBy = new Map<string, number>();
	const hanging = new Set<http.ServerResponse>();
	const spend = (b: Behaviour | undefined, key: "failTimes" | "loseAnswerTimes") => {
		if (!b?.[key]) return false;
		b[key] -= 1;
		return true;
	};

	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://notify");
		const body = await readBody(req);
		if (url.pathname === "/__control" && req.method === "POST") {
			const patch = JSON.parse(body || "{}") as { reset?: boolean; mode?: Mode; clients?: Record<string, Behaviour> };
			if (patch.reset) {
				mode = "accept";
				behaviours.clear();
				delivered.clear();
				receivedBy.clear();
				for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] = 0;
			}
			if (patch.mode) mode = patch.mode;
			for (const [clientId, b] of Object.entries(patch.clients ?? {})) behaviours.set(clientId, { ...b });
			return sendJson(res, 200, { mode });
		}
		if (url.pathname === "/__stats" && req.method === "GET") {
			const clientId = url.searchParams.get("clientId");
			if (clientId !== null) {
				const messages = [...delivered.values()].filter((m) => m.clientId === clientId);
				return sendJson(res, 200, { messages, received: receivedBy.get(clientId) ?? 0 });
			}
			return sendJson(res, 200, { messages: [...delivered.values()], ...stats });
		}
		if (req.method !== "POST") return sendJson(res, 404, { error: "not found" });
		const sig = await checkSignature(
			opts.secret,
			{ method: "POST", path: `${url.pathname}${url.search}`, body },
			{ get: (n) => (req.headers[n] as string | undefined) ?? null },
		);
		if (!sig.ok) {
			stats.badSignatures++;
			return sendJson(res, 401, { error: `signature ${sig.reason}` });
		}
		let notice: NoticePayload;
		try {
			notice = JSON.parse(body) as NoticePayload;
		} catch {
			return sendJson(res, 400, { error: "body is not JSON" });
		}
		const key = req.headers["idempotency-key"];
		if (typeof key !== "string" || key !== notice.noticeId) return sendJson(res, 400, { error: "Idempotency-Key must be the notice id" });
		stats.received++;
		receivedBy.set(notice.clientId, (receivedBy.get(notice.clientId) ?? 0) + 1);
		const b = behaviours.get(notice.clientId);
		const m = b?.mode ?? mode;
		if (m === "hang") {
			stats.hung++;
			hanging.add(res);
			return;
		}
		if (m === "error" || spend(b, "failTimes")) {
			stats.errors++;
			return sendJson(res, 503, { error: "gateway temporarily unavailable" });
		}
		if (m === "reject") {
			stats.rejected++;
			return sendJson(res, 400, { error: "destination not allowed" });
		}
		if (delivered.has(key)) {
			stats.duplicates++;
			return sendJson(res, 409, { noticeId: key, status: "DUPLICATE" });
		}
		const { noticeId, clientId, kind, channel, to, templateId, variables } = notice;
		delivered.set(key, { noticeId, clientId, kind, channel, to, templateId, variables, at: Date.now() });
		if (spend(b, "loseAnswerTimes")) {
			stats.hung++;
			hanging.add(res);
			return;
		}
		return sendJson(res, 202, { noticeId, status: "ACCEPTED" });
	});
	const port = await listen(server, opts.port ?? 0);
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		stats,
		delivered,
		stop: async () => {
			for (const res of hanging) res.destroy();
			await close(server);
		},
	};
}

if (import.meta.main) {
	const sim = await startNotifySimulator({ port: Number(process.env.NOTIFY_PORT ?? 8790), secret: process.env.NOTIFY_HMAC_SECRET ?? "" });
	console.log(`notification simulator on ${sim.url}`);
}
