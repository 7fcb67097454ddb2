// The OMS simulator's GET /health, which Lifeboat's Failover object probes: it fails with the
// simulator's global mode ("error": 503, "hang": no answer) and never with one client's
// behaviour. A simulator of its own, so the shared one of the Workers suite is never touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOmsSimulator } from "../../simulators/oms.ts";

describe("OMS simulator GET /health", () => {
	let sim: Awaited<ReturnType<typeof startOmsSimulator>>;
	const control = (patch: Record<string, unknown>) => fetch(`${sim.url}/__control`, { method: "POST", body: JSON.stringify(patch) });
	const health = (timeoutMs = 2000) => fetch(`${sim.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });

	beforeAll(async () => {
		sim = await startOmsSimulator({
			relaySecret: "test-relay-secret-of-at-least-32-bytes",
			eventsSecret: "test-events-secret-of-at-least-32-bytes",
		});
	});
	afterAll(() => sim.stop());

	it("answers 200 normally and while one client's orders fail", async () => {
		expect((await health()).status).toBe(200);
		await control({ clients: { C1: { mode: "error" } } });
		const res = await health();
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ status: "ok" });
	});

	it("answers 503 in global mode error, nothing in mode hang, and 200 once accepting again", async () => {
		await control({ mode: "error" });
		expect((await health()).status).toBe(503);
		await control({ mode: "hang" });
		await expect(health(300)).rejects.toThrow();
		await control({ mode: "accept" });
		expect((await health()).status).toBe(200);
		expect(sim.stats.healthChecks).toBeGreaterThanOrEqual(5);
	});
});
