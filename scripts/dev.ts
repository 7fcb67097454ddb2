// `npm start`: the whole local stack from one command. Builds the UI, starts the embedded
// Postgres and its WebSocket relay (unless DATABASE_URL points elsewhere), applies the
// migrations, seeds the demo data, starts the primary and OMS simulators and `wrangler dev`.
// Ctrl-C (SIGINT/SIGTERM) stops everything it started.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { demoClients } from "./demo-data.ts";
import { localSecrets } from "./local-secrets.ts";
import { freePort, startPostgres, startWsRelay } from "./local-postgres.ts";
import { applyMigrations } from "./migrate.ts";
import { seedDemo } from "./seed.ts";
import { startOmsSimulator } from "../simulators/oms.ts";
import { startPrimarySimulator } from "../simulators/primary.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const port = Number(process.env.PORT ?? 8787);
const site = `http://127.0.0.1:${port}`;
/** Where local state lives (Postgres, wrangler's storage); `npm run drill` uses a fresh one. */
const dataDir = process.env.LIFEBOAT_DATA_DIR ?? `${root}/.data`;
const stops: (() => Promise<void>)[] = [];
let wrangler: ChildProcess | undefined;
let stopping = false;

async function shutdown(code: number) {
	if (stopping) return;
	stopping = true;
	if (wrangler && wrangler.exitCode === null) {
		const exited = new Promise((r) => wrangler!.once("exit", r));
		if (wrangler.pid) process.kill(-wrangler.pid, "SIGTERM");
		await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
		if (wrangler.exitCode === null && wrangler.pid) process.kill(-wrangler.pid, "SIGKILL");
	}
	for (const stop of stops.reverse()) await stop().catch((e) => console.error(String(e)));
	process.exit(code);
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));
// npm does not always pass SIGTERM on to its script: when our parent goes away, so do we.
const parentPid = process.ppid;
setInterval(() => process.ppid !== parentPid && shutdown(0), 500).unref();

function run(cmd: string, args: string[]) {
	return new Promise<void>((resolve, reject) => {
		const p = spawn(cmd, args, { cwd: root, stdio: "inherit" });
		p.on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${c}`))));
	});
}

try {
	console.log("building the UI…");
	await run(process.execPath, [`${root}/node_modules/vite/bin/vite.js`, "build", "--config", "ui/vite.config.ts", "--logLevel", "warn"]);

	let databaseUrl = process.env.DATABASE_URL ?? "";
	let wsProxy = "";
	if (!databaseUrl) {
		const pg = await startPostgres({ dir: `${dataDir}/pg`, port: Number(process.env.PG_PORT ?? 54329) });
		stops.push(pg.stop);
		const relay = await startWsRelay(await freePort());
		stops.push(relay.stop);
		databaseUrl = pg.url;
		wsProxy = relay.proxy;
	}
	await applyMigrations(databaseUrl);
	await seedDemo(databaseUrl, localSecrets);

	const oms = await startOmsSimulator({
		port: Number(process.env.OMS_PORT ?? 8788),
		secret: localSecrets.OMS_HMAC_SECRET,
		eventsUrl: `${site}/oms/events`,
	});
	stops.push(oms.stop);
	const primary = await startPrimarySimulator(Number(process.env.PRIMARY_PORT ?? 8789));
	stops.push(primary.stop);

	mkdirSync(dataDir, { recursive: true });
	const envFile = `${dataDir}/dev.env`;
	const vars: Record<string, string> = {
		...localSecrets,
		DATABASE_URL: databaseUrl,
		NEON_WS_PROXY: wsProxy,
		OMS_URL: oms.url,
		PRIMARY_HEALTH_URLS: JSON.stringify([{ url: `${primary.url}/health`, expectStatus: 200 }]),
		BACKUP_ORIGIN: site,
	};
	writeFileSync(
		envFile,
		Object.entries(vars)
			// Single quotes: dotenv takes the value literally (in double quotes it keeps \" escapes, breaking JSON values).
			.map(([k, v]) => (v.includes("'") ? `${k}=${JSON.stringify(v)}` : `${k}='${v}'`))
			.join("\n"),
	);

	wrangler = spawn(
		process.execPath,
		[
			`${root}/node_modules/wrangler/bin/wrangler.js`,
			"dev",
			"--ip",
			"127.0.0.1",
			"--port",
			String(port),
			"--test-scheduled",
			"--env-file",
			envFile,
			"--persist-to",
			`${dataDir}/wrangler`,
			"--show-interactive-dev-session=false",
		],
		{ cwd: root, stdio: ["ignore", "inherit", "inherit"], detached: true },
	);
	wrangler.on("exit", (c) => {
		if (!stopping) {
			console.error(`wrangler dev exited (${c})`);
			void shutdown(1);
		}
	});

	for (let i = 0; i < 120; i++) {
		const ok = await fetch(`${site}/ops/health`).then(
			(r) => r.ok,
			() => false,
		);
		if (ok) break;
		await new Promise((r) => setTimeout(r, 500));
	}
	// wrangler dev fires no cron by itself: fire it once so the failover probe loop starts.
	await fetch(`${site}/__scheduled`).catch(() => undefined);
	console.log(`
Lifeboat is up on ${site}
  demo clients (password / TOTP secret, base32):
${demoClients.map((c) => `    ${c.clientId}  ${c.password}  ${c.totpSecret}`).join("\n")}
  ops token: ${localSecrets.OPS_TOKEN}   sync token: ${localSecrets.SYNC_TOKEN}
  primary simulator: ${primary.url} (POST /__control {"up":false} takes it down)
  OMS simulator:     ${oms.url} (POST /__control {"mode":"reject"}; GET /__stats)
  cron: GET ${site}/__scheduled
Ctrl-C stops everything.`);
} catch (err) {
	console.error(err);
	await shutdown(1);
}
