import { afterEach, describe, expect, it, vi } from "vitest";
import { itemAt } from "../scripts/fixtures.ts";
import { clientHash } from "../src/observability/log";
import { createClient, openSession } from "./fixtures";
import { call } from "./helpers";

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
});
