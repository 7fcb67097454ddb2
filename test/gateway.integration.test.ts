// Gateway mode: requests addressed to the primary's host (PRIMARY_ORIGIN, the primary simulator
// in tests) pass through while Lifeboat is in standby and go to the backup while it is active.
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { FAILOVER_KV_KEY } from "../src/failover/state";
import { failoverStub } from "../src/failover/state";
import { primaryTarget } from "../src/failover/gateway";
import { uid } from "./fixtures";
import { call, expectProblem, setFailover } from "./helpers";

const primary = inject("primaryUrl");

function viaPrimaryHost(path: string, headers: Record<string, string> = {}) {
	return exports.default.fetch(new Request(new URL(path, primary), { headers, redirect: "manual" }));
}

describe("gateway mode", () => {
	it("passes requests for the primary's host through to the primary while in standby", async () => {
		await setFailover(false, "standby");
		const res = await viaPrimaryHost("/markets/watchlist?x=1", { accept: "text/html" });
		expect(res.status).toBe(200);
		expect(res.headers.get("x-primary-path")).toBe("/markets/watchlist");
		expect(await res.text()).toContain("Primary trading platform");
	});

	it("while active, sends browsers to the backup UI and API clients a 503 naming the backup", async () => {
		await setFailover(true, "gateway drill");
		const page = await viaPrimaryHost("/markets/watchlist", { accept: "text/html,application/xhtml+xml" });
		expect(page.status).toBe(307);
		expect(page.headers.get("location")).toBe("https://lifeboat.test/");

		const api = await viaPrimaryHost("/api/v1/orders", { accept: "application/json" });
		const body = await expectProblem(api, 503, "PRIMARY_UNAVAILABLE");
		expect(body).toMatchObject({ backup: "https://lifeboat.test" });
		await setFailover(false, "drill over");
	});

	it("when the primary fails a pass-through while KV still says standby, asks the Durable Object and redirects", async () => {
		await setFailover(true, "kv lags");
		const state = await failoverStub(env).state();
		// A KV copy that looks current but still says standby, as KV can for a minute after a failover.
		await env.FLAGS.put(FAILOVER_KV_KEY, JSON.stringify({ ...state, active: false, phase: "standby", version: state.version + 1 }));
		const name = uid("h");
		await fetch(`${primary}/__control`, { method: "POST", body: JSON.stringify({ paths: { [name]: { up: false } } }) });
		const res = await viaPrimaryHost(`/health/${name}`, { accept: "text/html" });
		expect(res.status).toBe(307);
		await setFailover(false, "drill over");
	});

	it("leaves requests for the backup's own host alone", async () => {
		await setFailover(true, "gateway drill");
		const res = await call("/api/status");
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ mode: "active" });
		await setFailover(false, "drill over");
	});

	it("keeps every forwarded request on the primary's host: only the path and query are copied", async () => {
		await setFailover(false, "standby");
		// A path that a URL resolver would take for another host (`//evil.host/x`).
		const res = await exports.default.fetch(
			new Request(`${primary}//evil.example/steal?x=1`, { headers: { accept: "text/html" }, redirect: "manual" }),
		);
		expect(res.status).toBe(200);
		expect(await res.text()).toContain("Primary trading platform");
		expect(res.headers.get("x-primary-path")).toBe("//evil.example/steal");
		expect(primaryTarget("https://primary.example", new URL("https://primary.example//evil.example/x?q=1#h")).toString()).toBe(
			"https://primary.example//evil.example/x?q=1",
		);
		expect(primaryTarget("https://primary.example:8443", new URL("https://gw.example/%2F%2Fevil.example")).host).toBe(
			"primary.example:8443",
		);
	});

	it("refuses to forward a request it already forwarded (routing loop)", async () => {
		await expectProblem(await viaPrimaryHost("/", { "x-lifeboat-gateway": "1" }), 508, "GATEWAY_LOOP");
	});
});
