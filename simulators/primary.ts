// Simulator of the broker's primary trading site (never deployed). It serves health URLs
// and a stand-in home page; ops and tests take it down or bring it back over HTTP:
//   POST /__control { "up": false }                      the whole site (GET /health, pages)
//   POST /__control { "paths": { "<name>": { "up": false, "delayMs": 5000, "body": "..." } } }
//        one health URL of its own, GET /health/<name>: tests running in parallel each use their own
//   GET /__control
// It also collects alert webhooks: POST /__alerts stores the JSON body; GET /__alerts?event=...&clientId=... lists them
// (and counts the ones refused). POST /__control { "refuseAlerts": { "<clientId>": 2 } } answers the next 2 alerts
// about that client with 503, as a webhook having a bad moment.
import http from "node:http";
import { close, listen, readBody, sendJson } from "./http.ts";

export interface HealthPathControl {
	up: boolean;
	delayMs: number;
	/** Body served when up (default {"status":"ok"}). */
	body?: string;
}

export interface PrimaryControl {
	up: boolean;
	/** Alerts about these clients still to be refused with 503. */
	refuseAlerts: Record<string, number>;
	/** Delay before answering /health, to simulate a primary that hangs. */
	healthDelayMs: number;
	paths: Record<string, HealthPathControl>;
}

export async function startPrimarySimulator(port = 0) {
	const control: PrimaryControl = { up: true, refuseAlerts: {}, healthDelayMs: 0, paths: {} };
	const alerts: Record<string, unknown>[] = [];
	const refusedAlerts = new Map<string, number>();
	let healthChecks = 0;
	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://primary");
		if (url.pathname === "/__control") {
			if (req.method === "POST") {
				const { paths, refuseAlerts, ...rest } = JSON.parse((await readBody(req)) || "{}") as Partial<PrimaryControl>;
				Object.assign(control, rest);
				Object.assign(control.refuseAlerts, refuseAlerts);
				for (const [name, p] of Object.entries(paths ?? {}))
					control.paths[name] = { ...(control.paths[name] ?? { up: true, delayMs: 0 }), ...p };
			}
			return sendJson(res, 200, { ...control, healthChecks });
		}
		if (url.pathname === "/__alerts") {
			const detailOf = (a: Record<string, unknown>) => (a.detail ?? {}) as { clientId?: string };
			if (req.method === "POST") {
				const alert = JSON.parse((await readBody(req)) || "{}") as Record<string, unknown>;
				const about = detailOf(alert).clientId ?? "";
				const refusals = control.refuseAlerts[about] ?? 0;
				if (refusals > 0) {
					control.refuseAlerts[about] = refusals - 1;
					refusedAlerts.set(about, (refusedAlerts.get(about) ?? 0) + 1);
					return sendJson(res, 503, { error: "webhook unavailable" });
				}
				alerts.push({ ...alert, receivedAt: new Date().toISOString() });
				return sendJson(res, 202, { ok: true });
			}
			const event = url.searchParams.get("event");
			const clientId = url.searchParams.get("clientId");
			return sendJson(res, 200, {
				alerts: alerts.filter((a) => (!event || a.event === event) && (!clientId || detailOf(a).clientId === clientId)),
				refused: clientId ? (refusedAlerts.get(clientId) ?? 0) : [...refusedAlerts.values()].reduce((n, x) => n + x, 0),
			});
		}
		if (url.pathname === "/health") {
			healthChecks++;
			if (control.healthDelayMs) await new Promise((r) => setTimeout(r, control.healthDelayMs));
			return control.up ? sendJson(res, 200, { status: "ok" }) : sendJson(res, 503, { status: "down" });
		}
		if (url.pathname.startsWith("/health/")) {
			healthChecks++;
			const p = control.paths[decodeURIComponent(url.pathname.slice("/health/".length))] ?? { up: true, delayMs: 0 };
			if (p.delayMs) await new Promise((r) => setTimeout(r, p.delayMs));
			if (!p.up) return sendJson(res, 503, { status: "down" });
			res.writeHead(200, { "content-type": "application/json" });
			return res.end(p.body ?? JSON.stringify({ status: "ok" }));
		}
		if (!control.up) return sendJson(res, 503, { error: "primary is down" });
		// The path as it arrived (not re-parsed: `//host/x` must show as sent).
		res.writeHead(200, { "content-type": "text/html", "x-primary-path": (req.url ?? "/").split("?")[0] ?? "/" });
		res.end("<!doctype html><title>Primary trading platform</title><h1>Primary trading platform (simulated)</h1>");
	});
	const boundPort = await listen(server, port);
	return { url: `http://127.0.0.1:${boundPort}`, port: boundPort, control, stop: () => close(server) };
}

if (import.meta.main) {
	const sim = await startPrimarySimulator(Number(process.env.PORT ?? 8789));
	console.log(`primary simulator on ${sim.url}`);
}
