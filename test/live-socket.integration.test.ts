// GET /api/orders/live: a socket lives exactly as long as the session that opened it, only this
// site's pages may open one, and a session or a client can hold only so many.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SOCKETS_PER_CLIENT, SOCKETS_PER_SESSION } from "../durable-objects/account/live";
import { LIVE_SESSION_ENDED } from "../src/contract";
import { createClient, openSession } from "./fixtures";
import { call, expectProblem, openSocket, SITE, upgrade } from "./helpers";

const now = () => Math.floor(Date.now() / 1000);

/** What a socket's close was, or "open" if it is still open after a short wait. */
const within = <T>(p: Promise<T>, ms = 2000) => Promise.race([p, new Promise<"open">((r) => setTimeout(() => r("open"), ms))]);

describe("live sockets end with their session", () => {
	it("closes the socket when the session signs out (and only that session's)", async () => {
		const client = await createClient();
		const mine = await openSession(client.clientId);
		const other = await openSession(client.clientId);
		const socket = await openSocket(mine.cookie);
		const otherSocket = await openSocket(other.cookie);
		const out = await call("/api/auth/logout", { method: "POST", headers: { cookie: mine.cookie, origin: SITE } });
		expect(out.status).toBe(204);
		expect(await within(socket.closed)).toMatchObject({ code: LIVE_SESSION_ENDED });
		expect(await within(otherSocket.closed, 300)).toBe("open");
		otherSocket.ws.close();
	});

	it("closes every socket of a client that is disabled", async () => {
		const client = await createClient();
		const a = await openSocket((await openSession(client.clientId)).cookie);
		const b = await openSocket((await openSession(client.clientId)).cookie);
		await env.ACCOUNTS.getByName(client.clientId).setClientStatus("disabled");
		expect(await within(a.closed)).toMatchObject({ code: LIVE_SESSION_ENDED, reason: "client disabled" });
		expect(await within(b.closed)).toMatchObject({ code: LIVE_SESSION_ENDED });
	});

	it("closes the socket when the session expires or idles out (the Account's alarm)", async () => {
		const client = await createClient();
		const expiring = await openSession(client.clientId);
		const idle = await openSession(client.clientId);
		const live = await openSession(client.clientId);
		const s1 = await openSocket(expiring.cookie);
		const s2 = await openSocket(idle.cookie);
		const s3 = await openSocket(live.cookie);
		const account = env.ACCOUNTS.getByName(client.clientId);
		await runInDurableObject(account, (_, state) => {
			state.storage.sql.exec("UPDATE sessions SET expires_at = ? WHERE id = ?", now() - 1, expiring.sessionId);
			state.storage.sql.exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", now() - 16 * 60, idle.sessionId);
		});
		expect(await runDurableObjectAlarm(account)).toBe(true);
		expect(await within(s1.closed)).toMatchObject({ code: LIVE_SESSION_ENDED });
		expect(await within(s2.closed)).toMatchObject({ code: LIVE_SESSION_ENDED });
		expect(await within(s3.closed, 300)).toBe("open");
		// The alarm comes back for the socket still open, no later than its session could end.
		const alarm = await runInDurableObject(account, (_, state) => state.storage.getAlarm());
		expect(alarm).not.toBeNull();
		expect(alarm!).toBeLessThanOrEqual((now() + 15 * 60 + 2) * 1000);
		s3.ws.close();
	});
});

describe("who may open a live socket", () => {
	it("refuses a foreign or missing Origin with 403, even with a valid session cookie", async () => {
		const client = await createClient();
		const { cookie } = await openSession(client.clientId);
		await expectProblem(await upgrade(cookie, { origin: "https://evil.example" }), 403, "CROSS_SITE_REQUEST");
		await expectProblem(await upgrade(cookie, { origin: "http://lifeboat.test" }), 403, "CROSS_SITE_REQUEST");
		await expectProblem(await upgrade(cookie, {}), 403, "CROSS_SITE_REQUEST");
		const ok = await openSocket(cookie);
		ok.ws.close();
	});

	it("refuses a signed-out session's upgrade with 401", async () => {
		const client = await createClient();
		const { cookie } = await openSession(client.clientId);
		await call("/api/auth/logout", { method: "POST", headers: { cookie, origin: SITE } });
		await expectProblem(await upgrade(cookie), 401, "UNAUTHENTICATED");
	});

	it(`holds a session to ${SOCKETS_PER_SESSION} sockets and a client to ${SOCKETS_PER_CLIENT} (429 beyond)`, async () => {
		const client = await createClient();
		const sockets: WebSocket[] = [];
		const first = await openSession(client.clientId);
		for (let i = 0; i < SOCKETS_PER_SESSION; i++) sockets.push((await openSocket(first.cookie)).ws);
		await expectProblem(await upgrade(first.cookie), 429, "TOO_MANY_CONNECTIONS");
		for (let s = 1; s < SOCKETS_PER_CLIENT / SOCKETS_PER_SESSION; s++) {
			const { cookie } = await openSession(client.clientId);
			for (let i = 0; i < SOCKETS_PER_SESSION; i++) sockets.push((await openSocket(cookie)).ws);
		}
		const another = await openSession(client.clientId);
		await expectProblem(await upgrade(another.cookie), 429, "TOO_MANY_CONNECTIONS");
		// A socket closed makes room again.
		const last = sockets.pop()!;
		const gone = new Promise((r) => last.addEventListener("close", r));
		last.close(1000, "done");
		await gone;
		await expect
			.poll(async () => {
				const res = await upgrade(another.cookie);
				if (res.status === 101) {
					res.webSocket!.accept();
					sockets.push(res.webSocket!);
				}
				return res.status;
			})
			.toBe(101);
		for (const ws of sockets) ws.close();
	});
});
