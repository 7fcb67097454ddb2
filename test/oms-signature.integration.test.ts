// POST /oms/events: the OMS's own HMAC key (the relay's is another), a signature over method,
// path, timestamp and body, short secrets refused, and the body limited before it is read.
// (The relay's direction: the OMS simulator checks it the same way, so every relay test covers it.)
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { localSecrets } from "../src/config/local-secrets.ts";
import { OMS_EVENTS_BODY_LIMIT } from "../src/http/limits";
import { assertHmacSecrets, MIN_SECRET_BYTES } from "../src/relay/signature";
import { call, expectProblem } from "./helpers";
import { omsEvent } from "./trading-helpers";

describe("OMS signatures", () => {
	it("takes an event signed with the OMS's own key over POST /oms/events, and refuses the relay's key, another path or another method", async () => {
		// An order no one has: a good signature gets as far as the lookup (404), a bad one stops at 401.
		const ev = { orderId: `nope-${crypto.randomUUID()}`, clientId: "CSIG", type: "ACK" as const };
		expect(env.OMS_RELAY_HMAC_SECRET).not.toBe(env.OMS_EVENTS_HMAC_SECRET);
		await expectProblem(await omsEvent(ev, { secret: env.OMS_RELAY_HMAC_SECRET }), 401, "INVALID_SIGNATURE");
		await expectProblem(await omsEvent(ev, { path: "/oms/other" }), 401, "INVALID_SIGNATURE");
		await expectProblem(await omsEvent(ev, { path: "/oms/events?x=1" }), 401, "INVALID_SIGNATURE");
		await expectProblem(await omsEvent(ev, { method: "PUT" }), 401, "INVALID_SIGNATURE");
		await expectProblem(await omsEvent(ev), 404, "ORDER_NOT_FOUND");
	});

	it(`refuses a secret shorter than ${MIN_SECRET_BYTES} bytes, naming it`, () => {
		const good = "k".repeat(MIN_SECRET_BYTES);
		expect(() => assertHmacSecrets({ OMS_RELAY_HMAC_SECRET: "short", OMS_EVENTS_HMAC_SECRET: good })).toThrow(
			/OMS_RELAY_HMAC_SECRET must be a secret of at least 32 bytes \(it has 5\)/,
		);
		expect(() => assertHmacSecrets({ OMS_RELAY_HMAC_SECRET: good })).toThrow(
			/OMS_EVENTS_HMAC_SECRET must be a secret of at least 32 bytes/,
		);
		expect(() => assertHmacSecrets(localSecrets)).not.toThrow();
		expect(() => assertHmacSecrets(env)).not.toThrow();
	});
});

describe("POST /oms/events body limit", () => {
	it("answers 413 after reading at most about the limit of a 60 MiB unsigned body (never the whole body before a 401)", async () => {
		const chunk = new Uint8Array(64 * 1024).fill(0x20);
		const total = 60 * 1024 * 1024;
		let pulled = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(ctrl) {
				if (pulled >= total) return ctrl.close();
				pulled += chunk.length;
				ctrl.enqueue(chunk);
			},
		});
		const res = await call("/oms/events", { method: "POST", headers: { "content-type": "application/json" }, body });
		await expectProblem(res, 413, "PAYLOAD_TOO_LARGE");
		expect(pulled).toBeLessThan(OMS_EVENTS_BODY_LIMIT + 1024 * 1024);
	});

	it("answers 413 at once for a declared length over the limit", async () => {
		const res = await call("/oms/events", {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: " ".repeat(OMS_EVENTS_BODY_LIMIT + 1),
		});
		await expectProblem(res, 413, "PAYLOAD_TOO_LARGE");
	});
});
