// What every answer of the API promises beyond its body: no caching, bounded request bodies,
// nothing internal in public answers.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { API_BODY_LIMIT } from "../src/http/limits";
import { createClient, openSession } from "./fixtures";
import { browserHeaders, call, expectProblem, opsHeaders, SITE, setFailover } from "./helpers";

describe("Cache-Control on /api", () => {
	it("marks every /api answer no-store: signed-in data, problems, the public status", async () => {
		const client = await createClient();
		const { cookie } = await openSession(client.clientId);
		for (const res of [
			await call("/api/me", { headers: { cookie } }),
			await call("/api/positions", { headers: { cookie } }),
			await call("/api/me"),
			await call("/api/status"),
			await call("/api/nope"),
			await call("/api/auth/login", { method: "POST", headers: browserHeaders(), body: "{" }),
		]) {
			expect(res.headers.get("cache-control"), res.url).toBe("no-store");
		}
	});
});

describe("body limits", () => {
	it(`refuses an /api body over ${API_BODY_LIMIT} bytes with 413 before reading it, and changes nothing`, async () => {
		const client = await createClient();
		const big = JSON.stringify({ clientId: client.clientId, password: "x".repeat(API_BODY_LIMIT) });
		await expectProblem(await call("/api/auth/login", { method: "POST", headers: browserHeaders(), body: big }), 413, "PAYLOAD_TOO_LARGE");
		// Streamed (no Content-Length): refused once the limit is passed.
		const chunk = new TextEncoder().encode(" ".repeat(8192));
		let pulled = 0;
		const stream = new ReadableStream<Uint8Array>({
			pull(ctrl) {
				pulled += chunk.length;
				if (pulled > 10 * 1024 * 1024) return ctrl.close();
				ctrl.enqueue(chunk);
			},
		});
		await expectProblem(
			await call("/api/auth/login", { method: "POST", headers: browserHeaders(), body: stream }),
			413,
			"PAYLOAD_TOO_LARGE",
		);
		expect(pulled).toBeLessThan(API_BODY_LIMIT + 1024 * 1024);
		// Nothing was counted against the client: a proper sign-in still works at once.
		expect(
			(
				await call("/api/auth/login", {
					method: "POST",
					headers: browserHeaders(),
					body: JSON.stringify({ clientId: client.clientId, password: client.password }),
				})
			).status,
		).toBe(200);
	});

	it("refuses oversized ops and sync bodies with 413 problems", async () => {
		await expectProblem(
			await call("/ops/failover", {
				method: "POST",
				headers: opsHeaders,
				body: JSON.stringify({ active: true, reason: "x".repeat(100_000) }),
			}),
			413,
			"PAYLOAD_TOO_LARGE",
		);
		await expectProblem(
			await call("/sync/changes", {
				method: "POST",
				headers: { authorization: "Bearer dev-sync-token", "content-type": "application/json" },
				body: " ".repeat(6 * 1024 * 1024),
			}),
			413,
			"BATCH_TOO_LARGE",
		);
		expect((await call("/api/status").then((r) => r.json())) as { mode: string }).toMatchObject({ mode: "standby" });
	});
});

describe("GET /api/status", () => {
	it("publishes a generic reason; the internal one (ops' words, probe details) only behind /ops", async () => {
		await setFailover(true, "ops secret words: db-7 at 10.1.2.3 is down");
		const pub = (await (await call("/api/status")).json()) as { failover: { reason: string } };
		expect(pub.failover.reason).toBe("Switched on by the broker's operations team.");
		expect(JSON.stringify(pub)).not.toContain("10.1.2.3");
		await expectProblem(await call("/ops/failover"), 401, "UNAUTHENTICATED");
		const ops = (await (await call("/ops/failover", { headers: opsHeaders })).json()) as { state: { reason: string }; probes: unknown[] };
		expect(ops.state.reason).toBe("ops secret words: db-7 at 10.1.2.3 is down");
		expect(Array.isArray(ops.probes)).toBe(true);
		await setFailover(false, "drill over");
		await call("/ops/failover", { method: "DELETE", headers: opsHeaders });
	});

	it("never shows a probe's URL, even after an automatic failover", async () => {
		const body = JSON.stringify(await (await call("/api/status")).json());
		const probeUrl = (JSON.parse(env.PRIMARY_HEALTH_URLS) as { url: string }[])[0]!.url;
		expect(body).not.toContain(probeUrl);
		expect(body).not.toContain("/health");
	});
});

describe("the UI's files", () => {
	it("come from the assets binding for any path outside /api, /ops, /sync and /oms (the Worker runs first)", async () => {
		const page = await call("/some/screen", { headers: { accept: "text/html" } });
		expect(page.status).toBeLessThan(500);
		expect(page.headers.get("content-type") ?? "").not.toContain("problem+json");
		await expectProblem(await call("/api/nope"), 404, "NOT_FOUND");
		await expectProblem(await call("/ops/nope", { headers: opsHeaders }), 404, "NOT_FOUND");
		await expectProblem(await call(`${SITE}/oms`), 404, "NOT_FOUND");
	});
});
