// `npm run bench`: load and end-to-end numbers on the local stack (wrangler dev, embedded
// Postgres, OMS and primary simulators), printed as a table and written to BENCHMARKS.md.
//   1. ceiling: a route of the same Worker that does no I/O (bench/scenarios/ceiling.ts), and a
//      bare Worker with no code of ours under the same runtime and flags, alone and shaped like
//      the site (the assets layer in front, a log line a request) (bench/scenarios/bare.ts)
//   2. accept: POST /api/square-offs spread over many signed-in clients (autocannon), with two
//      diagnostics: the accept path alone (requests the Account refuses) and the accept run with
//      the OMS posting no events back (bench/scenarios/accept.ts)
//   3. surge: N traders at once: password + TOTP sign-in, positions, exit all, wait for COMPLETE
//      (bench/scenarios/surge.ts)
//   4. what a square-off and a trader's whole exit cost the platform (bench/platform-calls.ts),
//      Postgres statements on the hot path among them, and the capacity model fed by those
//      counts (bench/capacity.ts)
//   5. replication: POST /sync/changes at its highest sustained rate, and the lag to traders'
//      screens at a steady rate (bench/scenarios/replication.ts, its own section and results block)
// The tables and BENCHMARKS.md: bench/report.ts. This file sets the stage and runs them in order.
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { over, setFailover } from "../scripts/fixtures.ts";
import { freePort } from "../scripts/local-postgres.ts";
import { localSecrets } from "../src/config/local-secrets.ts";
import { startStack } from "../scripts/stack.ts";
import { createClients, getJson, pool, signIn } from "./clients.ts";
import { CLIENTS, DATA_DIR, TRADERS, WRITE_REPORT } from "./config.ts";
import { report } from "./report.ts";
import { runAccept } from "./scenarios/accept.ts";
import { runBareCeiling } from "./scenarios/bare.ts";
import { runCeiling, runHealth } from "./scenarios/ceiling.ts";
import { REPLICATION_KNOBS, runReplication } from "./scenarios/replication.ts";
import { reportReplication } from "./scenarios/replication-report.ts";
import { runSurge, SURGE_POSITIONS } from "./scenarios/surge.ts";

const USAGE = `npm run bench: the load and end-to-end runs on a local stack of its own; prints the tables
and writes BENCHMARKS.md and bench/results.json. Settings (environment variables):
  BENCH_SECONDS (10)          seconds per load run
  BENCH_CONNECTIONS (32)      connections per load run
  BENCH_CLIENTS (100)         accept clients
  BENCH_TRADERS (50)          traders per surge
  BENCH_EVENT_BATCH_MS (20)   how long the OMS simulator batches its events
  BENCH_DATA_DIR              where the throwaway state lives (default /dev/shm, else the system temp folder)
  BENCH_WRITE=0               print only, leave BENCHMARKS.md and bench/results.json alone
  BENCH_ONLY=replication      run only that scenario (and write only its section and block)
Replication (5):
${REPLICATION_KNOBS}
A short check: BENCH_SECONDS=2 BENCH_CLIENTS=10 BENCH_TRADERS=5 BENCH_WRITE=0 npm run bench`;

/** Scenarios that run alone with BENCH_ONLY; without it, all run. */
const ALONE = ["replication"] as const;
const ONLY = process.env.BENCH_ONLY;

const root = fileURLToPath(new URL("..", import.meta.url));

async function main() {
	const dataDir = mkdtempSync(`${DATA_DIR}/lifeboat-bench-`);
	chmodSync(dataDir, 0o755); // under root, Postgres runs as the postgres user (scripts/local-postgres.ts)
	const port = await freePort();
	const buildUi = !existsSync(`${root}/ui/dist/index.html`);
	console.log(`starting the stack on :${port}${buildUi ? " (building the UI first)" : ""} ...`);
	const stack = await startStack({
		port,
		dataDir,
		persistent: false,
		quiet: true,
		buildUi,
		countStatements: ONLY === undefined,
		countPlatformCalls: ONLY === undefined,
	});
	const site = stack.url;
	try {
		await setFailover(over(site), true, "bench", { token: localSecrets.OPS_TOKEN, origin: site });
		if (ONLY === "replication") {
			reportReplication(await runReplication(stack), WRITE_REPORT);
			return;
		}

		const run = Date.now().toString(36).toUpperCase().slice(-4);
		console.log(`creating ${CLIENTS} accept clients and twice ${TRADERS} surge traders ...`);
		const acceptClients = await createClients(stack.databaseUrl, `BA${run}`, CLIENTS, [{ segment: "EQ", netQty: 10_000_000 }]);
		const surgeClients = await createClients(stack.databaseUrl, `BS${run}`, TRADERS, SURGE_POSITIONS);
		const surgePerEventClients = await createClients(stack.databaseUrl, `BE${run}`, TRADERS, SURGE_POSITIONS);

		console.log("signing in the accept clients and loading their positions ...");
		const cookies = await pool(acceptClients, 4, async (c, i) => {
			const cookie = await signIn(site, c.clientId, `10.1.${i >> 8}.${i & 255}`);
			await getJson(site, "/api/positions", cookie); // the first load reads Postgres; the hot path must not
			return cookie;
		});

		const ceiling = await runCeiling(site);
		const bare = await runBareCeiling();
		const bareShaped = await runBareCeiling("shaped");
		const health = await runHealth(site);
		const accept = await runAccept({ stack, clients: acceptClients, cookies });
		const ceilingAfter = await runCeiling(site, true);
		const surge = await runSurge(stack, surgeClients, surgePerEventClients);
		const replication = await runReplication(stack);
		reportReplication(replication, WRITE_REPORT);
		report({ bare, bareShaped, ceiling, ceilingAfter, health, accept, surge });
	} finally {
		await stack.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

if (process.argv.includes("--help") || process.argv.includes("-h")) console.log(USAGE);
else if (ONLY !== undefined && !(ALONE as readonly string[]).includes(ONLY)) {
	console.error(`BENCH_ONLY=${ONLY}: not a scenario that runs alone (${ALONE.join(", ")})`);
	process.exitCode = 2;
} else await main();
