// Property: whatever a client sends to any endpoint (random and hostile bodies, headers,
// ids), the answer is never a 5xx, every refusal is problem+json with a stable code, and a
// refused request changes nothing.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { itemAt } from "../scripts/fixtures.ts";
import { createClient, openSession } from "./fixtures";
import type { Position } from "../src/contract";
import { call, SITE, setFailover } from "./helpers";
import { eventually, omsStats, postSignedEvents, trader } from "./trading-helpers";

const endpoints: { method: string; path: (id: string) => string; changesState: boolean }[] = [
	{ method: "POST", path: () => "/api/auth/login", changesState: true },
	{ method: "POST", path: () => "/api/auth/totp", changesState: true },
	{ method: "POST", path: () => "/api/auth/logout", changesState: true },
	{ method: "GET", path: () => "/api/me", changesState: false },
	{ method: "GET", path: () => "/api/status", changesState: false },
	{ method: "GET", path: (id) => `/status?lang=${id}`, changesState: false },
	{ method: "GET", path: () => "/api/positions", changesState: false },
	{ method: "GET", path: () => "/api/orders", changesState: false },
	{ method: "POST", path: () => "/api/square-offs", changesState: true },
	{ method: "POST", path: () => "/api/square-offs/all", changesState: true },
	{ method: "POST", path: (id) => `/api/orders/${id}/cancel`, changesState: true },
	{ method: "POST", path: () => "/api/orders/cancel-all", changesState: true },
	{ method: "POST", path: () => "/ops/failover", changesState: true },
	{ method: "DELETE", path: () => "/ops/failover", changesState: true },
	{ method: "GET", path: () => "/ops/metrics", changesState: false },
	{ method: "GET", path: () => "/ops/overview", changesState: false },
	{ method: "POST", path: () => "/ops/failover/automatic", changesState: true },
	{ method: "GET", path: (id) => `/ops/clients/${id}`, changesState: false },
	{ method: "POST", path: (id) => `/ops/clients/${id}/disable`, changesState: true },
	{ method: "POST", path: (id) => `/ops/clients/${id}/enable`, changesState: true },
	{ method: "POST", path: (id) => `/ops/clients/${id}/cancel-all`, changesState: true },
	{ method: "GET", path: () => "/ops/notices", changesState: false },
	{ method: "POST", path: (id) => `/ops/notices/${id}/resend`, changesState: true },
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

describe("hostile but correctly signed OMS events", () => {
	it("never answer 5xx; refusals are problem+json; what is refused changes nothing", async () => {
		await setFailover(true, "property test");
		const client = await createClient({ positions: [{ instrument: { segment: "OPT", lotSize: 75, freezeQty: 1800 }, netQty: -150 }] });
		const t = await trader(client.clientId);
		const res = await t.post("/api/square-offs", { positionId: client.positionIds[0], quantity: 75 });
		const order = itemAt(((await res.json()) as { orders: { id: string }[] }).orders, 0, "order");
		// Relayed first, so only the events under test change the order from here on.
		await eventually(async () => (await t.order(order.id)).status === "SENT", "order SENT");
		const validEvent = fc.record({
			eventId: fc.uuid(),
			orderId: fc.constantFrom(order.id, "unknown-order"),
			clientId: fc.constantFrom(client.clientId, "UNKNOWN01"),
			type: fc.constantFrom("ACK", "FILL", "REJECT", "CANCELLED"),
			fillQty: fc.integer({ min: 1, max: 200 }),
			fillPrice: fc.constantFrom("100.00", "0.05"),
			at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
		});
		const hostileEvent = fc.record(
			{
				eventId: fc.oneof(fc.uuid(), hostileString),
				orderId: fc.oneof(fc.constant(order.id), hostileString),
				clientId: fc.oneof(fc.constant(client.clientId), hostileString),
				type: fc.oneof(fc.constantFrom("ACK", "FILL", "REJECT", "CANCELLED"), hostileString),
				fillQty: fc.oneof(fc.integer(), fc.double(), hostileString),
				fillPrice: fc.oneof(fc.constantFrom("100.00", "0", "-1", "1e9", "1.234"), hostileString),
				reason: hostileString,
				at: fc.oneof(
					fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
					hostileString,
				),
			},
			{ requiredKeys: [] },
		);
		const event = fc.oneof({ arbitrary: validEvent, weight: 3 }, { arbitrary: hostileEvent, weight: 1 });
		const signedBody = fc.oneof(
			fc.jsonValue().map((v) => JSON.stringify(v)),
			hostileString,
			event.map((e) => JSON.stringify(e)),
			fc
				.record({ events: fc.oneof(fc.array(event, { maxLength: 6 }), fc.jsonValue()) }, { requiredKeys: [] })
				.map((v) => JSON.stringify(v)),
		);
		const state = async () => JSON.stringify([await t.order(order.id), await t.positions()]);
		await fc.assert(
			fc.asyncProperty(signedBody, async (body) => {
				const before = await state();
				const answer = await postSignedEvents(body);
				expect(answer.status, `${body.slice(0, 200)} -> ${answer.status}`).toBeLessThan(500);
				const json = (await answer.json()) as { code?: string; result?: string; results?: { result: string }[] };
				if (answer.status >= 400) {
					expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
					expect(json.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
					expect(await state()).toBe(before);
				} else if (!(json.result === "applied" || json.results?.some((r) => r.result === "applied"))) {
					expect(await state()).toBe(before); // duplicates, unknown orders and late events change nothing either
				}
			}),
			{ numRuns: 200 },
		);
	});
});
