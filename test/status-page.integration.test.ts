// GET /status, the public status page: server-rendered HTML in English and Hindi, no script,
// small and briefly cacheable, in standby and active, with the activation history, and still
// answering (saying what is unknown) when Postgres is away.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { failoverStub } from "../src/failover/state";
import { call, expectProblem, opsHeaders, setFailover } from "./helpers";

async function page(query = "", headers: Record<string, string> = {}) {
	const res = await call(`/status${query}`, { headers });
	return { res, body: await res.text() };
}

describe("GET /status", () => {
	it("is a small, script-free, briefly cacheable HTML page in standby, with the sign-in link", async () => {
		const { res, body } = await page();
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^text\/html/);
		const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1]);
		expect(res.headers.get("cache-control")).toMatch(/^public,/);
		expect(maxAge).toBeGreaterThan(0);
		expect(maxAge).toBeLessThanOrEqual(10);
		expect(new TextEncoder().encode(body).length).toBeLessThan(30 * 1024);
		expect(body).not.toMatch(/<script/i);
		// Not the single-page app's index: the Worker rendered it.
		expect(body).toContain('<html lang="en">');
		expect(body).toContain("The primary trading platform is in charge");
		expect(body).toContain("The primary trading platform is working.");
		expect(body).toContain("Lifeboat has not been switched on yet.");
		expect(body).toContain("Reachable: exit orders go through.");
		expect(body).toMatch(/<a class="signin" href="\/">Sign in to square off<\/a>/);
		expect(body).toMatch(/<a href="\/status\?lang=hi" lang="hi" hreflang="hi">हिन्दी में पढ़ें<\/a>/);
		// Its CSP allows exactly its own inline style sheet, and nothing else.
		expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
	});

	it("speaks Hindi with ?lang=hi or when the browser prefers it, English otherwise", async () => {
		const hi = await page("?lang=hi");
		expect(hi.body).toContain('<html lang="hi">');
		expect(hi.body).toContain("मुख्य ट्रेडिंग प्लेटफ़ॉर्म चालू है");
		expect(hi.body).toContain("स्क्वेयर ऑफ़ करने के लिए साइन इन करें");
		expect(hi.body).toMatch(/<a href="\/status\?lang=en" lang="en" hreflang="en">Read in English<\/a>/);
		expect(hi.res.headers.get("content-language")).toBe("hi");
		expect(hi.res.headers.get("vary")).toMatch(/Accept-Language/i);

		const preferred = await page("", { "accept-language": "hi-IN,hi;q=0.9,en-US;q=0.8" });
		expect(preferred.body).toContain('<html lang="hi">');
		const ranked = await page("", { "accept-language": "en-GB,en;q=0.9,hi;q=0.5" });
		expect(ranked.body).toContain('<html lang="en">');
		const other = await page("", { "accept-language": "fr-FR" });
		expect(other.body).toContain('<html lang="en">');
		// The query wins over the header.
		const chosen = await page("?lang=en", { "accept-language": "hi" });
		expect(chosen.body).toContain('<html lang="en">');
	});

	it("refuses an unknown language as problem+json", async () => {
		await expectProblem(await call("/status?lang=fr"), 400, "INVALID_REQUEST");
	});

	it("says Lifeboat is on, since when and why in generic words, and lists activations with start and end", async () => {
		await setFailover(true, "probe http://10.1.2.3/health said 502");
		const on = await page();
		expect(on.body).toContain("Lifeboat is ON");
		expect(on.body).toContain("Switched on by the broker&#39;s operations team.");
		expect(on.body).not.toContain("10.1.2.3");
		expect(on.body).toMatch(/Since \d{1,2} \w+ \d{4}, .* IST\./);
		expect(on.body).toContain("Still on");
		const onHi = await page("?lang=hi");
		expect(onHi.body).toContain("Lifeboat चालू है।");
		expect(onHi.body).toContain("अभी चालू");

		// Back to standby through the fence (no order in flight here), then the row has an end.
		await failoverStub(env).configure({ fenceSettleSeconds: 0, inFlightClientIds: ["NOBODY"] });
		try {
			await setFailover(false, "drill over");
			await failoverStub(env).probeRound();
			expect((await failoverStub(env).state()).phase).toBe("standby");
		} finally {
			await failoverStub(env).configure({});
		}
		const off = await page();
		expect(off.body).toContain("Set to standby by the broker&#39;s operations team.");
		expect(off.body).not.toContain("Still on");
		const rows = [...off.body.matchAll(/<tr><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g)];
		expect(rows).toHaveLength(1);
		expect(rows[0]?.[1]).toMatch(/IST$/);
		expect(rows[0]?.[2]).toMatch(/IST$/);
		expect(rows[0]?.[3]).toBe("by the operations team");
		await call("/ops/failover", { method: "DELETE", headers: opsHeaders });
	});

	it("keeps the last 10 activations, newest first, and the Failover object keeps a bounded history", async () => {
		const stub = failoverStub(env);
		await stub.configure({ fenceSettleSeconds: 0, inFlightClientIds: ["NOBODY"] });
		try {
			for (let i = 0; i < 12; i++) {
				await setFailover(true, `drill ${i}`);
				await setFailover(false, `drill ${i} over`);
				await stub.probeRound();
			}
		} finally {
			await stub.configure({});
			await call("/ops/failover", { method: "DELETE", headers: opsHeaders });
		}
		const all = await stub.activations(100);
		expect(all.length).toBeGreaterThanOrEqual(12);
		expect(all.length).toBeLessThanOrEqual(50);
		expect(all.every((a) => a.endedAt !== null)).toBe(true);
		expect(Date.parse(all[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(all[1]!.startedAt));
		const { body } = await page();
		expect([...body.matchAll(/<tr><td>/g)]).toHaveLength(10);
	});

	it("keeps answering when Postgres is away, saying the data's freshness is unknown", async () => {
		const missing = new URL(env.DATABASE_URL);
		missing.pathname = "/no_such_database";
		const ctx = createExecutionContext();
		const request = new Request("https://lifeboat.test/status") as Parameters<typeof worker.fetch>[0];
		const res = await worker.fetch(request, { ...env, DATABASE_URL: missing.toString() }, ctx);
		await waitOnExecutionContext(ctx);
		expect(res.status).toBe(200);
		const body = await res.text();
		expect(body).toContain("Unknown right now: the site cannot read how fresh its data is.");
		expect(body).toContain("The primary trading platform is in charge");
		expect(body).toContain("Reachable: exit orders go through.");
	});
});
