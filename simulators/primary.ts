// Simulator of the broker's primary trading site (never deployed). It serves a health URL
// and a stand-in home page; ops and tests take it down or bring it back over HTTP:
//   POST /__control { "up": false }   GET /__control
import http from "node:http";
import { close, listen, readBody, sendJson } from "./http.ts";

export interface PrimaryControl {
	up: boolean;
	/** Delay before answering /health, to simulate a primary that hangs. */
	healthDelayMs: number;
}

export async function startPrimarySimulator(port = 0) {
	const control: PrimaryControl = { up: true, healthDelayMs: 0 };
	let healthChecks = 0;
	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://primary");
		if (url.pathname === "/__control") {
			if (req.method === "POST") Object.assign(control, JSON.parse((await readBody(req)) || "{}"));
			return sendJson(res, 200, { ...control, healthChecks });
		}
		if (url.pathname === "/health") {
			healthChecks++;
			if (control.healthDelayMs) await new Promise((r) => setTimeout(r, control.healthDelayMs));
			return control.up ? sendJson(res, 200, { status: "ok" }) : sendJson(res, 503, { status: "down" });
		}
		if (!control.up) return sendJson(res, 503, { error: "primary is down" });
		res.writeHead(200, { "content-type": "text/html" });
		res.end("<!doctype html><title>Primary trading platform</title><h1>Primary trading platform (simulated)</h1>");
	});
	const boundPort = await listen(server, port);
	return { url: `http://127.0.0.1:${boundPort}`, port: boundPort, control, stop: () => close(server) };
}

if (import.meta.main) {
	const sim = await startPrimarySimulator(Number(process.env.PORT ?? 8789));
	console.log(`primary simulator on ${sim.url}`);
}
