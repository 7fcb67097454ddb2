// Simulator of Cloudflare Access's key endpoint (never deployed): serves a team's public keys at
// GET /cdn-cgi/access/certs, as Access does at https://<team>.cloudflareaccess.com. Tests make
// their own key pairs and publish the public halves:
//   POST /__control { "keys": [<JWK>, ...] }   adds keys (by kid)
//   GET /__stats                               { fetches }: how often the keys were fetched
import http from "node:http";
import { close, listen, readBody, sendJson } from "./http.ts";

export async function startAccessSimulator(port = 0) {
	const keys = new Map<string, Record<string, unknown>>();
	let fetches = 0;
	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://access");
		if (url.pathname === "/__control" && req.method === "POST") {
			const body = JSON.parse((await readBody(req)) || "{}") as { keys?: Record<string, unknown>[] };
			for (const k of body.keys ?? []) keys.set(String(k.kid), k);
			return sendJson(res, 200, { keys: keys.size });
		}
		if (url.pathname === "/__stats") return sendJson(res, 200, { fetches });
		if (url.pathname === "/cdn-cgi/access/certs" && req.method === "GET") {
			fetches += 1;
			return sendJson(res, 200, { keys: [...keys.values()] });
		}
		sendJson(res, 404, { error: "not found" });
	});
	const bound = await listen(server, port);
	return { url: `http://127.0.0.1:${bound}`, stop: () => close(server) };
}
