// Property: whatever a client sends to any endpoint (random and hostile bodies, headers,
// ids), the answer is never a 5xx, every refusal is problem+json with a stable code, and a
// refused request changes nothing.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createClient, openSession } from "./fixtures";
import type { Position } from "../src/types";
import { call, SITE, setFailover } from "./helpers";
import { omsStats } from "./trading-helpers";

const endpoints: { method: string; path: (id: string) => string; changesState: boolean }[] = [
	{ method: "POST", path: () => "/api/auth/login", changesState: true },
	{ method: "POST", path: () => "/api/auth/totp", changesState: true },
	{ method: "POST", path: () => "/api/auth/logout", changesState: true },
	{ method: "GET", path: () => "/api/me", changesState: false },
	{ method: "GET", path: () => "/api/status", changesState: false },
	{ method: "GET", path: () => "/api/positions", changesState: false },
	{ method: "GET", path: () => "/api/orders", changesState: false },
	{ method: "POST", path: () => "/api/square-offs", changesState: true },
	{ method: "POST", path: () => "/api/square-offs/all", changesState: true },
	{ method: "POST", path: (id) => `/api/orders/${id}/cancel`, changesState: true },
	{ method: "POST", path: () => "/api/orders/cancel-all", changesState: true },
	{ method: "POST", path: () => "/ops/failover", changesState: true },
	{ method: "DELETE", path: () => "/ops/failover", changesState: true },
	{ method: "GET", path: () => "/ops/metrics", changesState: false },
	{ method: "POST", path: () => "/sync/changes", changesState: true },
	{ method: "GET", path: (id) => `/sync/outbox?after=${id}&limit=${id}`, changesState: false },
	{ method: "POST", path: () => "/sync/outbox/ack", changesState: true },
	{ method: "POST", path: () => "/oms/events", changesState: true },
];

const hostileString = fc.oneof(
	fc.string(),
	fc.string({ unit: "binary", maxLength: 300 }),
	fc.constantFrom(
		"",
		" ",
		"null",
		"../../etc/passwd",
		"%00",
		"\u0000",
		"'; DROP TABLE orders; --",
		"<script>alert(1)</script>",
		"x".repeat(5000),
	),
);

const body = fc.oneof(
	fc.jsonValue().map((v) => JSON.stringify(v)),
	hostileString,
	fc
		.record({
			positionId: hostileString,
			quantity: fc.oneof(fc.integer(), fc.double(), hostileString),
			orderType: hostileString,
			price: fc.oneof(fc.double(), hostileString),
		})
		.map((v) => JSON.stringify(v)),
	fc.array(fc.jsonValue(), { maxLength: 5 }).map((v) => JSON.stringify(v)),
);

describe("hostile input on every endpoint", () => {
	let cookie = "";
	let clientId = "";

	beforeAll(async () => {
		// Active, so square-offs are judged on their input rather than refused for standby.
		await setFailover(true, "property test");
		const client = await createClient({ positions: [{ instrument: { segment: "OPT", lotSize: 75, freezeQty: 1800 }, netQty: -1500 }] });
		clientId = client.clientId;
		cookie = (await openSession(client.clientId)).cookie;
	});

	it("never answers 5xx; refusals are problem+json with a stable code; refusals change nothing", async () => {
		let stateChangingSuccesses = 0;
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom(...endpoints),
				hostileString,
				body,
				fc.record(
					{
						"content-type": fc.constantFrom(
							"application/json",
							"text/plain",
							"application/x-www-form-urlencoded",
							"",
							"application/json; charset=utf-16",
						),
						origin: fc.oneof(fc.constant(SITE), fc.constant("https://evil.example"), hostileString),
						"idempotency-key": fc.oneof(hostileString, fc.uuid()),
						cookie: fc.oneof(fc.constant(cookie), fc.constant("__Host-lb_session=garbage"), hostileString),
						authorization: fc.oneof(fc.constant("Bearer dev-ops-token"), fc.constant("Bearer dev-sync-token"), hostileString),
						"x-lifeboat-signature": hostileString,
						"x-lifeboat-timestamp": hostileString,
					},
					{ requiredKeys: [] },
				),
				async (endpoint, id, payload, headers) => {
					const safeHeaders = Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
					const init: RequestInit = { method: endpoint.method, headers: { ...safeHeaders, cookie: safeHeaders.cookie ?? cookie } };
					if (endpoint.method !== "GET") init.body = payload;
					const res = await call(endpoint.path(encodeURIComponent(id)), init);
					expect(res.status, `${endpoint.method} ${endpoint.path(id)} -> ${res.status}`).toBeLessThan(500);
					const text = await res.text();
					if (res.status >= 400) {
						expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
						const problem = JSON.parse(text) as { code: string; status: number };
						expect(problem.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
						expect(problem.status).toBe(res.status);
					} else if (endpoint.changesState) {
						stateChangingSuccesses++;
					}
				},
			),
			{ numRuns: 300 },
		);

		// Refused input changed nothing: the client has no orders, nothing pending, nothing reached the OMS.
		const orders = await call("/api/orders", { headers: { cookie } });
		if (orders.status === 200 && stateChangingSuccesses === 0) {
			expect(((await orders.json()) as { orders: unknown[] }).orders).toEqual([]);
			const positions = await call("/api/positions", { headers: { cookie } });
			const listed = ((await positions.json()) as { positions: Position[] }).positions;
			expect(listed.map((p) => [p.netQty, p.pendingExitQty])).toEqual([[-1500, 0]]);
			expect((await omsStats(clientId)).requests).toBe(0);
		}
	});
});
