// `npm run drill`: a failover drill on the local stack with the default settings. Starts
// `npm start` in a fresh data directory, takes the simulated primary down, and reports the
// seconds until Lifeboat is active and until the first square-off is accepted; while active,
// takes the simulated OMS down (DRILL_OMS_MODE: "error", the default, or "hang") and reports the
// seconds until /api/status shows it unreachable and square-offs get 503 OMS_UNAVAILABLE, and
// back; then brings the primary back and reports the failback (fence included). Exits 1 if
// detection took 30 s or more. Ports: PORT (8787), OMS_PORT, PRIMARY_PORT, PG_PORT as for `npm start`.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { browserHeaders, eventually, over, signIn as signInOver, sleep } from "./fixtures.ts";
import { demoClients } from "./demo-data.ts";
import { localSecrets } from "../src/config/local-secrets.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const port = Number(process.env.PORT ?? 8787);
const primaryPort = Number(process.env.PRIMARY_PORT ?? port + 2);
const omsPort = Number(process.env.OMS_PORT ?? port + 1);
const omsMode = process.env.DRILL_OMS_MODE === "hang" ? "hang" : "error";
const site = `http://127.0.0.1:${port}`;
const primary = `http://127.0.0.1:${primaryPort}`;
const oms = `http://127.0.0.1:${omsPort}`;
const DETECTION_GOAL_SECONDS = 30;

const dataDir = mkdtempSync(`${tmpdir()}/lifeboat-drill-`);
// Under root, Postgres runs as the postgres user, which must reach the directory (scripts/local-postgres.ts).
chmodSync(dataDir, 0o755);
const logFile = `${dataDir}/stack.log`;
const stack = spawn(`exec ${JSON.stringify(process.execPath)} scripts/dev.ts > ${JSON.stringify(logFile)} 2>&1`, {
	cwd: root,
	shell: true,
	detached: true,
	env: {
		...process.env,
		PORT: String(port),
		OMS_PORT: String(omsPort),
		PRIMARY_PORT: String(primaryPort),
		PG_PORT: String(process.env.PG_PORT ?? port + 3),
		LIFEBOAT_DATA_DIR: dataDir,
	},
});

async function stop(code: number): Promise<never> {
	if (stack.exitCode === null && stack.pid) {
		const exited = new Promise((r) => stack.once("exit", r));
		process.kill(-stack.pid, "SIGTERM");
		await Promise.race([exited, sleep(15_000)]);
	}
	if (code !== 0)
		console.error(
			`--- end of the stack log (all of it, and the data, kept in ${dataDir}) ---\n${readFileSync(logFile, "utf8").slice(-4000)}`,
		);
	else rmSync(dataDir, { recursive: true, force: true });
	process.exit(code);
}
process.on("SIGINT", () => void stop(130));

const seconds = (from: number) => ((Date.now() - from) / 1000).toFixed(1);

/** Polls `probe` (a try that throws only means "not yet") until it answers; the drill fails if it never does. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
	try {
		return await eventually(() => probe().catch(() => undefined), what, { timeoutMs, intervalMs: 200 });
	} catch {
		console.error(`timed out waiting for ${what}`);
		return stop(1);
	}
}

interface Status {
	mode: "standby" | "active";
	failover: { reason: string | null };
	failback?: { phase: string; outboxReady: boolean };
	oms?: { reachable: boolean; since: string | null };
}
const status = async () => (await (await fetch(`${site}/api/status`)).json()) as Status;
const setPrimary = (up: boolean) => fetch(`${primary}/__control`, { method: "POST", body: JSON.stringify({ up }) });
const setOms = (mode: "accept" | "error" | "hang") => fetch(`${oms}/__control`, { method: "POST", body: JSON.stringify({ mode }) });

/** Signs DEMO01 in (password, then TOTP) per the API contract; null when sign-in is not available. */
async function signIn(): Promise<string | null> {
	const demo = demoClients[0];
	if (!demo) return null;
	const cookie = await signInOver(over(site), demo, browserHeaders(site)).catch(() => null);
	return cookie || null;
}

/** One square-off of the first open position with nothing pending on it: its status and problem code. */
async function squareOff(cookie: string): Promise<{ status: number; code?: string }> {
	const headers = { cookie, origin: site, "content-type": "application/json" };
	const positions = (await (await fetch(`${site}/api/positions`, { headers })).json()) as {
		positions: { id: string; pendingExitQty: number }[];
	};
	const position = positions.positions.find((p) => p.pendingExitQty === 0);
	if (!position) return { status: 0 };
	const res = await fetch(`${site}/api/square-offs`, {
		method: "POST",
		headers: { ...headers, "idempotency-key": crypto.randomUUID() },
		// A long option that hedges an open short is refused (409 WOULD_UNHEDGE) unless the trader confirmed it.
		body: JSON.stringify({ positionId: position.id, allowUnhedged: true }),
	});
	const body = (await res.json().catch(() => ({}))) as { code?: string };
	return { status: res.status, code: body.code };
}

/** Tries one square-off: true once accepted (202). */
const trySquareOff = async (cookie: string) => (await squareOff(cookie)).status === 202;

console.log(`drill: starting the local stack on ${site} (data in ${dataDir})…`);
await until("the local stack", 180_000, async () => ((await fetch(`${site}/ops/health`)).ok ? true : undefined));
// `wrangler dev` fires no cron on its own: fire it once, as production's every-minute cron would, to start the probe loop.
await fetch(`${site}/__scheduled`);
const ops = { authorization: `Bearer ${localSecrets.OPS_TOKEN}` };
await until("a first good probe round", 30_000, async () => {
	const text = await (await fetch(`${site}/ops/metrics`, { headers: ops })).text();
	return /lifeboat_probe_rounds_total\{result="up"\} [1-9]/.test(text) ? true : undefined;
});
const cookie = await signIn();
console.log(
	`drill: stack up, primary healthy, Lifeboat in standby; sign-in ${cookie ? "works" : "not available (square-off timing skipped)"}`,
);

const down = Date.now();
await setPrimary(false);
console.log("drill: primary taken down");
await until("Lifeboat to become active", 120_000, async () => ((await status()).mode === "active" ? true : undefined));
const detection = (Date.now() - down) / 1000;
console.log(`drill: ACTIVE after ${detection.toFixed(1)} s (${(await status()).failover.reason})`);
let firstSquareOff = "n/a";
if (cookie) {
	await until("a square-off to be accepted", 60_000, async () => ((await trySquareOff(cookie)) ? true : undefined));
	firstSquareOff = `${seconds(down)} s`;
	console.log(`drill: first square-off accepted ${firstSquareOff} after the primary went down`);
}

// The broker's OMS fails while Lifeboat is active: exits must be refused, not queued into it.
const omsDown = Date.now();
await setOms(omsMode);
console.log(`drill: OMS taken down (mode ${omsMode})`);
await until("the OMS to show as unreachable", 120_000, async () => ((await status()).oms?.reachable === false ? true : undefined));
const omsDetection = seconds(omsDown);
console.log(`drill: /api/status shows the OMS unreachable after ${omsDetection} s`);
let omsRefusal = "n/a";
if (cookie) {
	await until("square-offs to be refused with OMS_UNAVAILABLE", 30_000, async () =>
		(await squareOff(cookie)).code === "OMS_UNAVAILABLE" ? true : undefined,
	);
	omsRefusal = `${seconds(omsDown)} s`;
	console.log(`drill: square-offs refused (503 OMS_UNAVAILABLE) ${omsRefusal} after the OMS went down`);
}
const omsBack = Date.now();
await setOms("accept");
await until("the OMS to show as reachable", 120_000, async () => ((await status()).oms?.reachable === true ? true : undefined));
const omsRecovery = seconds(omsBack);
console.log(`drill: OMS reachable again after ${omsRecovery} s`);

const back = Date.now();
await setPrimary(true);
console.log("drill: primary brought back");
await until("the fence to start", 180_000, async () => ((await status()).mode === "standby" ? true : undefined));
const fenced = seconds(back);
console.log(`drill: fencing (new square-offs refused) after ${fenced} s`);
await until("failback to finish", 300_000, async () => {
	const s = await status();
	return s.failback?.phase === "standby" && s.failback.outboxReady ? true : undefined;
});
const failback = seconds(back);
console.log(`drill: STANDBY, outbox ready for the primary, after ${failback} s`);

console.log(`
drill summary (default settings: probe every 10 s, 5 s once a round failed, 3 bad rounds to activate, 5 good to fail back;
               the OMS: unreachable after 2 failed health probes, reachable after 1 good one)
  primary down -> Lifeboat active:        ${detection.toFixed(1)} s (goal < ${DETECTION_GOAL_SECONDS} s)
  primary down -> first square-off:       ${firstSquareOff}
  OMS down -> shown unreachable:          ${omsDetection} s (OMS mode ${omsMode})
  OMS down -> square-offs refused:        ${omsRefusal}
  OMS back -> shown reachable:            ${omsRecovery} s
  primary back -> fence (orders refused): ${fenced} s
  primary back -> standby, outbox ready:  ${failback} s`);
await stop(detection < DETECTION_GOAL_SECONDS ? 0 : 1);
