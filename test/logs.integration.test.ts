import { afterEach, describe, expect, it, vi } from "vitest";
import { itemAt } from "../scripts/fixtures.ts";
import { sendAlert } from "../src/observability/alerts";
import { clientHash } from "../src/observability/log";
import { createClient, openSession } from "./fixtures";
import { browserHeaders, call } from "./helpers";

/** Every console line written while `fn` runs, at any level. */
async function linesDuring(fn: () => Promise<unknown>): Promise<string[]> {
	const lines: string[] = [];
	for (const level of ["log", "warn", "error"] as const) {
		vi.spyOn(console, level).mockImplementation((line: unknown) => {
			lines.push(String(line));
		});
	}
	await fn();
	vi.restoreAllMocks();
	return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("structured logs", () => {
	it("one JSON line per request, with the request id and the client only as a hash", async () => {
		const c = await createClient();
		const { cookie } = await openSession(c.clientId);
		const lines: string[] = [];
		vi.spyOn(console, "log").mockImplementation((line: unknown) => {
			lines.push(String(line));
		});
		const res = await call("/api/orders", { headers: { cookie } });
		expect(res.status).toBe(200);
		const requestLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === "http.request");
		expect(requestLines).toHaveLength(1);
		const requestLine = itemAt(requestLines, 0, "request line");
		expect(requestLine).toMatchObject({
			level: "info",
			method: "GET",
			path: "/api/orders",
			status: 200,
			clientHash: await clientHash(c.clientId),
		});
		expect(requestLine.requestId).toEqual(expect.any(String));
		expect(lines.join("\n")).not.toContain(c.clientId);
	});

	it("requests without a session carry no client hash", async () => {
		const lines: string[] = [];
		vi.spyOn(console, "log").mockImplementation((line: unknown) => {
			lines.push(String(line));
		});
		await call("/api/status");
		const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "http.request");
		expect(line).toMatchObject({ path: "/api/status", status: 200 });
		expect(line).not.toHaveProperty("clientHash");
	});

	it("sign-in failures and ops alerts name a client only by its hash (the alert's webhook still gets the id)", async () => {
		const c = await createClient();
		const hash = await clientHash(c.clientId);
		const headers = browserHeaders();
		const lines = await linesDuring(async () => {
			const login = await call("/api/auth/login", {
				method: "POST",
				headers,
				body: JSON.stringify({ clientId: c.clientId, password: "wrong" }),
			});
			const { challengeId } = (await login.json()) as { challengeId: string };
			await call("/api/auth/totp", { method: "POST", headers, body: JSON.stringify({ challengeId, code: "123456" }) });
			await sendAlert(
				{ ALERT_WEBHOOK_URL: "", APP_ENV: "test" },
				{
					event: "order.failed",
					text: `Order O1 of client ${c.clientId} is FAILED`,
					detail: { orderId: "O1", clientId: c.clientId },
					clientId: c.clientId,
				},
			);
		});
		const text = lines.join("\n");
		expect(text).not.toContain(c.clientId);
		const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
		expect(parsed.filter((l) => l.event === "auth.sign_in_failed").map((l) => l.clientHash)).toEqual([hash, hash]);
		expect(parsed.find((l) => l.event === "order.failed")).toMatchObject({
			clientHash: hash,
			text: `Order O1 of client #${hash} is FAILED`,
		});
	});
});
