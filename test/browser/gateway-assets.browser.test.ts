// Gateway mode through the real assets layer (wrangler dev, the built UI): a page of the
// primary's host goes to the primary while it is up, never Lifeboat's own page (which the
// assets layer would answer if it ran before the Worker). No browser needed: plain HTTP with
// the Host header a router would send.
import http from "node:http";
import { describe, expect, inject, it } from "vitest";
import { setFailover, site } from "./harness.ts";

interface Answer {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/** GET `path` from the local site as if addressed to `host`. */
function get(path: string, host: string): Promise<Answer> {
	const target = new URL(site());
	return new Promise((resolve, reject) => {
		const req = http.get(
			{ host: target.hostname, port: target.port, path, headers: { host, accept: "text/html", "sec-fetch-mode": "navigate" } },
			(res) => {
				let body = "";
				res.setEncoding("utf8");
				res.on("data", (d: string) => {
					body += d;
				});
				res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
			},
		);
		req.on("error", reject);
	});
}

describe("gateway mode through the assets layer", () => {
	it("sends a page of the primary's host to the primary, and serves the UI on the site's own host", async () => {
		await setFailover(false);
		const primaryHost = new URL(inject("stackPrimaryUrl")).host;
		const siteHost = new URL(site()).host;

		const page = await get("/markets/watchlist", primaryHost);
		expect(page.status).toBe(200);
		expect(page.body).toContain("Primary trading platform");
		expect(page.headers["x-primary-path"]).toBe("/markets/watchlist");

		const root = await get("/", primaryHost);
		expect(root.body).toContain("Primary trading platform");

		// A path a URL resolver would read as another host stays on the primary.
		const odd = await get("//evil.example/x", primaryHost);
		expect(odd.status).toBe(200);
		expect(odd.body).toContain("Primary trading platform");

		const own = await get("/markets/watchlist", siteHost);
		expect(own.status).toBe(200);
		expect(own.body).toContain("<title>Lifeboat");
		expect(own.body).not.toContain("Primary trading platform");
	});
});
