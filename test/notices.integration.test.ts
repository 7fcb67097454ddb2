// Notices (api.md "Notices"): on each transition to active and back to standby, every enabled
// client with a contact gets exactly one message through the signed webhook, here the
// notification simulator, whatever the queue redelivers or ops repeat. Each test runs its own
// Failover instance whose transitions notify only its own clients.
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import type { Contacts } from "../scripts/fixtures.ts";
import type { NoticeKind } from "../src/contract";
import { schema } from "../src/db/client";
import { assertHmacSecrets } from "../src/relay/signature";
import { instance } from "./failover-helpers";
import { createClient, uid } from "./fixtures";
import { call, eventually, opsHeaders, query } from "./helpers";
import { change, clientRow, syncHeaders } from "./cdc";

type Delivered = { clientId: string; kind: NoticeKind; channel: string; to: string; noticeId: string; templateId: string };

const notify = (path: string, init?: RequestInit) => fetch(`${inject("notifyUrl")}${path}`, init);

async function gatewayFor(clientId: string): Promise<{ messages: Delivered[]; received: number }> {
	return (await notify(`/__stats?clientId=${encodeURIComponent(clientId)}`)).json();
}

async function behave(clientId: string, behaviour: Record<string, unknown>) {
	await notify("/__control", { method: "POST", body: JSON.stringify({ clients: { [clientId]: behaviour } }) });
}

/** Waits until each client has notices of `kinds` at the gateway, and returns what it got per client. */
async function delivered(clientIds: string[], kinds: NoticeKind[]) {
	return eventually(
		async () => {
			const all = await Promise.all(clientIds.map(gatewayFor));
			const done = all.every((g) => kinds.every((k) => g.messages.some((m) => m.kind === k)));
			return done ? new Map(clientIds.map((id, i) => [id, all[i]!])) : undefined;
		},
		`notices ${kinds.join(", ")} for ${clientIds.join(", ")}`,
		{ timeoutMs: 25_000, intervalMs: 200 },
	);
}

/** The notices recorded in Postgres for a client. */
const recorded = (clientId: string) => query((db) => db.select().from(schema.notices).where(eq(schema.notices.clientId, clientId)));

/** A Failover instance whose transitions notify only `clients`, with a fence that ends at once. */
const scopedInstance = (clientIds: string[]) => instance([], { noticeClientIds: clientIds, omsHealthUrl: null });

async function newClient(contacts: Contacts, status: "active" | "disabled" = "active") {
	return (await createClient({ contacts, status })).clientId;
}

describe("notices on activation and failback", () => {
	it("tell each enabled client with a contact once per transition, by SMS first, else e-mail; opted-out, contactless and disabled clients (on the primary or by ops) hear nothing", async () => {
		const sms = await newClient({ mobile: "+919800000001", email: "sms@example.com" });
		const mail = await newClient({ email: "mail@example.com" });
		const optedOut = await newClient({ mobile: "+919800000003", noticesOptOut: true });
		const none = await newClient({});
		const disabled = await newClient({ mobile: "+919800000005" }, "disabled");
		const opsDisabled = await newClient({ mobile: "+919800000006" });
		const reEnabled = await newClient({ mobile: "+919800000007" });
		for (const [clientId, action] of [
			[opsDisabled, "disable"],
			[reEnabled, "disable"],
			[reEnabled, "enable"],
		] as const) {
			const res = await call(`/ops/clients/${clientId}/${action}`, {
				method: "POST",
				headers: opsHeaders,
				body: JSON.stringify({ reason: "notice test" }),
			});
			expect(res.status).toBe(200);
		}
		// Ops' disables live in the Accounts; their audit entries reach Postgres, where the fan-out reads them.
		await eventually(async () => {
			const rows = await query((db) => db.select().from(schema.auditLog).where(eq(schema.auditLog.clientId, reEnabled)));
			return rows.some((r) => r.action === "ops.client_enabled");
		}, "the ops actions in the audit log");
		const { stub } = await scopedInstance([sms, mail, optedOut, none, disabled, opsDisabled, reEnabled]);

		await stub.setManual(true, "drill");
		await delivered([sms, mail, reEnabled], ["activated"]);
		await stub.setManual(false, "drill over");
		expect((await stub.state()).phase).toBe("standby");
		const got = await delivered([sms, mail, reEnabled], ["activated", "deactivated"]);

		const s = got.get(sms)!;
		expect(s.messages.map((m) => [m.kind, m.channel, m.to]).sort()).toEqual([
			["activated", "sms", "+919800000001"],
			["deactivated", "sms", "+919800000001"],
		]);
		expect(s.messages.map((m) => m.templateId).sort()).toEqual(["lifeboat_activated_sms", "lifeboat_deactivated_sms"]);
		expect(s.received).toBe(2);
		const m = got.get(mail)!;
		expect(m.messages.map((x) => [x.kind, x.channel, x.to]).sort()).toEqual([
			["activated", "email", "mail@example.com"],
			["deactivated", "email", "mail@example.com"],
		]);
		expect(got.get(reEnabled)!.received).toBe(2);
		for (const quiet of [optedOut, none, disabled, opsDisabled]) {
			expect(await gatewayFor(quiet)).toEqual({ messages: [], received: 0 });
			expect(await recorded(quiet)).toEqual([]);
		}
		const rows = await recorded(sms);
		expect(rows.map((r) => r.status)).toEqual(["sent", "sent"]);
		expect(new Set(rows.map((r) => r.transitionId)).size).toBe(2);
	});

	it("repeated overrides make one transition, and one notice per client", async () => {
		const a = await newClient({ mobile: "+919800000011" });
		const b = await newClient({ email: "b@example.com" });
		const { stub } = await scopedInstance([a, b]);
		for (let i = 0; i < 3; i++) await stub.setManual(true, `on again ${i}`);
		await delivered([a, b], ["activated"]);
		for (let i = 0; i < 3; i++) await stub.setManual(false, `off again ${i}`);
		await delivered([a, b], ["deactivated"]);
		// A fresh activation for the same clients is a new transition: one more notice each.
		await stub.setManual(true, "a second outage");
		const got = await eventually(async () => {
			const g = await gatewayFor(a);
			return g.messages.filter((x) => x.kind === "activated").length === 2 ? g : undefined;
		}, "the second activation's notice");
		expect(got.received).toBe(3);
		expect((await gatewayFor(b)).received).toBe(3);
		expect(await stub.activations(10)).toHaveLength(2);
	});

	it("a relapse while fencing continues the activation: no second 'activated'", async () => {
		const a = await newClient({ mobile: "+919800000021" });
		// A fence that cannot end (an order in flight is never seen, but it waits fenceSettleSeconds first).
		const { stub } = await instance([], { noticeClientIds: [a], omsHealthUrl: null, fenceSettleSeconds: 3600 });
		await stub.setManual(true, "on");
		await delivered([a], ["activated"]);
		await stub.setManual(false, "back");
		expect((await stub.state()).phase).toBe("fencing");
		await stub.setManual(true, "relapse");
		expect(await stub.activations(10)).toHaveLength(1);
		// Nothing new was recorded or sent: only the first transition's "activated".
		expect((await gatewayFor(a)).received).toBe(1);
		expect(await recorded(a)).toHaveLength(1);
	});
});

describe("delivery", () => {
	it("a redelivered fan-out and redelivered or concurrent sends hand each notice over once", async () => {
		const ids = await Promise.all([1, 2, 3].map((i) => newClient({ mobile: `+91980000003${i}` })));
		const { stub } = await scopedInstance(ids);
		await stub.setManual(true, "drill");
		await delivered(ids, ["activated"]);
		const [row] = await recorded(ids[0]!);
		const transitionId = row!.transitionId;
		const transition = { id: transitionId, kind: "activated" as const, at: new Date().toISOString(), clientIds: ids };

		// The whole fan-out again (twice), and each send five times at once.
		await env.NOTICES.send({ kind: "fanout", transition, after: null, position: 0, startMs: null });
		await env.NOTICES.send({ kind: "fanout", transition, after: null, position: 0, startMs: null });
		await env.NOTICES.sendBatch(
			ids.flatMap((clientId) => Array.from({ length: 5 }, () => ({ body: { kind: "send" as const, transitionId, clientId } }))),
		);
		// Wait until the queue has worked through them: a marker client's notice, queued after them, has arrived.
		const marker = await newClient({ mobile: "+919800000039" });
		const markerTransition = { ...transition, id: `${uid("T")}:activated`, clientIds: [marker] };
		await env.NOTICES.send({ kind: "fanout", transition: markerTransition, after: null, position: 0, startMs: null });
		await delivered([marker], ["activated"]);
		await env.NOTICES.sendBatch(ids.map((clientId) => ({ body: { kind: "send" as const, transitionId, clientId } })));
		await delivered([marker], ["activated"]);

		for (const id of ids) {
			const g = await gatewayFor(id);
			expect(g.messages).toHaveLength(1);
			expect(g.received).toBe(1);
		}
	});

	it("an answer lost on the way back is sent again with the same Idempotency-Key: the gateway keeps one", async () => {
		const a = await newClient({ mobile: "+919800000041" });
		await behave(a, { loseAnswerTimes: 1 });
		const { stub } = await scopedInstance([a]);
		await stub.setManual(true, "drill");
		const rows = await eventually(async () => {
			const r = await recorded(a);
			return r[0]?.status === "sent" ? r : undefined;
		}, "the notice recorded as sent");
		expect(rows[0]!.attempts).toBe(2);
		const g = await gatewayFor(a);
		expect(g.received).toBe(2);
		expect(g.messages).toHaveLength(1);
	}, 60_000);

	it("retries a failing gateway with backoff, then marks the notice failed and alerts ops once per transition; ops resend it", async () => {
		const a = await newClient({ mobile: "+919800000051" });
		const b = await newClient({ mobile: "+919800000052" });
		await behave(a, { mode: "error" });
		await behave(b, { mode: "error" });
		const { stub } = await scopedInstance([a, b]);
		await stub.setManual(true, "drill");
		const failed = await eventually(
			async () => {
				const rows = [...(await recorded(a)), ...(await recorded(b))];
				return rows.length === 2 && rows.every((r) => r.status === "failed") ? rows : undefined;
			},
			"both notices failed",
			{ timeoutMs: 50_000, intervalMs: 500 },
		);
		const transitionId = failed[0]!.transitionId;
		// max_retries 10: eleven tries each, then the dead letter.
		expect((await gatewayFor(a)).received).toBe(11);
		const alerts = await eventually(async () => {
			const res = await fetch(`${inject("primaryUrl")}/__alerts?event=notices.failed`);
			const { alerts } = (await res.json()) as { alerts: { detail: { transitionId: string } }[] };
			const mine = alerts.filter((x) => x.detail.transitionId === transitionId);
			return mine.length > 0 ? mine : undefined;
		}, "the ops alert");
		expect(alerts).toHaveLength(1);

		const overview = (await (await call("/ops/notices", { headers: opsHeaders })).json()) as {
			failed: number;
			transitions: { id: string; failed: number }[];
		};
		expect(overview.failed).toBeGreaterThanOrEqual(2);
		expect(overview.transitions.find((t) => t.id === transitionId)?.failed).toBe(2);

		await behave(a, { mode: "accept" });
		await behave(b, { mode: "accept" });
		const res = await call(`/ops/notices/${encodeURIComponent(transitionId)}/resend`, { method: "POST", headers: opsHeaders });
		expect(await res.json()).toEqual({ transitionId, queued: 2 });
		await delivered([a, b], ["activated"]);
		expect((await gatewayFor(a)).messages).toHaveLength(1);
		expect((await call("/ops/notices/nope/resend", { method: "POST", headers: opsHeaders })).status).toBe(404);
		// A control character (Postgres refuses NUL in text) is the caller's mistake, not a 500.
		const nul = await call("/ops/notices/%00/resend", { method: "POST", headers: opsHeaders });
		expect(nul.status).toBe(400);
		expect(await nul.json()).toMatchObject({ code: "INVALID_REQUEST" });
	}, 90_000);

	it("a notice the gateway refuses (4xx) is not retried: failed at once", async () => {
		const a = await newClient({ mobile: "+919800000061" });
		await behave(a, { mode: "reject" });
		const { stub } = await scopedInstance([a]);
		await stub.setManual(true, "drill");
		await eventually(async () => (await recorded(a))[0]?.status === "failed", "the notice failed");
		expect((await gatewayFor(a)).received).toBe(1);
		expect((await recorded(a))[0]!.error).toMatch(/gateway refused: HTTP 400/);
	});

	it("paces sends: at NOTIFY_RATE_PER_SECOND, the notices of one transition come due over several seconds", async () => {
		const { sendMessages } = await import("../src/notices/pace");
		const start = Date.now();
		const delays = sendMessages("t", ["a", "b", "c", "d", "e"], 0, start, 2).map((m) => m.delaySeconds);
		expect(delays).toEqual([0, 0, 1, 1, 2]);
		// A later page continues the schedule of the first.
		expect(sendMessages("t", ["f"], 1000, start, 500).map((m) => m.delaySeconds)).toEqual([2]);
	});
});

describe("contacts, signing and metrics", () => {
	it("contacts and the opt-out come from replication (client_master mobile_no, email_id, notice_opt_out)", async () => {
		const id = uid("C");
		const res = await call("/sync/changes", {
			method: "POST",
			headers: syncHeaders,
			body: JSON.stringify([
				change("client_master", "c", { after: { ...clientRow(id), mobile_no: " +919800000071 ", email_id: "", notice_opt_out: "Y" } }),
			]),
		});
		expect(res.status).toBe(200);
		const [row] = await query((db) => db.select().from(schema.clients).where(eq(schema.clients.clientId, id)));
		expect(row).toMatchObject({ mobile: "+919800000071", email: null, noticesOptOut: true });
		// An update without the columns keeps them.
		await call("/sync/changes", {
			method: "POST",
			headers: syncHeaders,
			body: JSON.stringify([change("client_master", "u", { after: clientRow(id) })]),
		});
		const [after] = await query((db) =>
			db
				.select()
				.from(schema.clients)
				.where(and(eq(schema.clients.clientId, id))),
		);
		expect(after).toMatchObject({ mobile: "+919800000071", noticesOptOut: true });
	});

	it("the gateway key is required and at least 32 bytes; the simulator refuses unsigned notices", async () => {
		expect(() => assertHmacSecrets({ ...env, NOTIFY_HMAC_SECRET: "short" })).toThrow(
			/NOTIFY_HMAC_SECRET must be a secret of at least 32 bytes/,
		);
		const res = await notify("/notices", { method: "POST", body: JSON.stringify({ noticeId: "x", clientId: "x" }) });
		expect(res.status).toBe(401);
	});

	it("/ops/metrics counts notices queued, sent and failed", async () => {
		const a = await newClient({ mobile: "+919800000081" });
		const { stub } = await scopedInstance([a]);
		await stub.setManual(true, "drill");
		await delivered([a], ["activated"]);
		await eventually(async () => (await recorded(a))[0]?.status === "sent", "recorded as sent");
		const text = await (await call("/ops/metrics", { headers: opsHeaders })).text();
		const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
		expect(sample("lifeboat_notices_queued_total")).toBeGreaterThanOrEqual(1);
		expect(sample("lifeboat_notices_sent_total")).toBeGreaterThanOrEqual(1);
		expect(sample("lifeboat_notices_failed")).toBeGreaterThanOrEqual(0);
		expect(sample("lifeboat_notices_pending")).toBeGreaterThanOrEqual(0);
	});
});
