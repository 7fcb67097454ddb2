// The whole local stack as one function, shared by `npm start` (scripts/dev.ts) and the
// browser tests: builds the UI (unless told not to), starts the embedded Postgres and its
// WebSocket relay (unless a databaseUrl is given), applies the migrations, seeds the demo
// data, starts the primary, OMS and notification simulators and `wrangler dev`, and waits for the site.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { poll, sleep } from "./fixtures.ts";
import { localSecrets } from "../src/config/local-secrets.ts";
import { freePort, startPostgres, startWsRelay } from "./local-postgres.ts";
import { applyMigrations } from "./migrate.ts";
import { seedDemo } from "./seed.ts";
import { startNotifySimulator } from "../simulators/notify.ts";
import { startOmsSimulator } from "../simulators/oms.ts";
import { startPrimarySimulator } from "../simulators/primary.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface StackOptions {
	/** Port of the site (wrangler dev). */
	port: number;
	omsPort?: number;
	primaryPort?: number;
	notifyPort?: number;
	pgPort?: number;
	/** Where Postgres and wrangler keep their data. */
	dataDir?: string;
	/** Keep the Postgres data between runs (npm start) or throw it away (tests). */
	persistent?: boolean;
	/** An existing database instead of the embedded one. */
	databaseUrl?: string;
	buildUi?: boolean;
	/** Where wrangler's output goes: the terminal for npm start, nowhere for tests. */
	quiet?: boolean;
	/** Count Postgres statements per connection label (embedded Postgres only; benches use it). */
	countStatements?: boolean;
	/** Count the site's platform calls (COUNT_PLATFORM_CALLS, shown in /ops/metrics; benches use it). */
	countPlatformCalls?: boolean;
	/**
	 * wrangler dev's aids for a developer: its local trace explorer (a collector Worker fed a
	 * streaming tail of every invocation, on the same workerd thread as the site) and its debug
	 * log file (every console line and inspector message appended to a file under
	 * ~/.config/.wrangler/logs, about 8 MB a bench run). Handy in `npm start`; off elsewhere,
	 * because under load they cost the machine more than the site does (bench/NOTES.md).
	 */
	devAids?: boolean;
	/** Called when wrangler dev exits on its own. */
	onWranglerExit?: (code: number | null) => void;
}

export interface Stack {
	url: string;
	databaseUrl: string;
	oms: Awaited<ReturnType<typeof startOmsSimulator>>;
	primary: Awaited<ReturnType<typeof startPrimarySimulator>>;
	notify: Awaited<ReturnType<typeof startNotifySimulator>>;
	/** With countStatements: statements Postgres has run for connections with this label (all labels without one) so far. */
	statementsRunBy(label?: string): number;
	/** Stops wrangler dev and starts it again on the same state: what survives a restart survives this. */
	restartSite(): Promise<void>;
	stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
	return new Promise<void>((resolve, reject) => {
		const p = spawn(cmd, args, { cwd: root, stdio: "inherit", env });
		p.on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${c}`))));
	});
}

/**
 * The production build whoever asks (under a test runner, NODE_ENV=test, Vite would keep Preact's
 * debug code): the trader UI, then the ops console into the same dist (the first build empties it).
 */
export async function buildUi(): Promise<void> {
	for (const config of ["ui/vite.config.ts", "ui/ops.vite.config.ts"])
		await run(process.execPath, [`${root}/node_modules/vite/bin/vite.js`, "build", "--config", config, "--logLevel", "warn"], {
			...process.env,
			NODE_ENV: "production",
		});
}

/** `wrangler dev` on 127.0.0.1:port in its own process group, as the site and the bench's bare Worker run. */
export async function spawnWranglerDev(opts: {
	port: number;
	/** wrangler.toml of the Worker (default: the site's). */
	config?: string;
	args?: string[];
	quiet?: boolean;
	devAids?: boolean;
}): Promise<ChildProcess> {
	return spawn(
		process.execPath,
		[
			`${root}/node_modules/wrangler/bin/wrangler.js`,
			"dev",
			...(opts.config ? ["--config", opts.config] : []),
			"--ip",
			"127.0.0.1",
			"--port",
			String(opts.port),
			...(opts.args ?? []),
			"--show-interactive-dev-session=false",
			"--inspector-port",
			String(await freePort()),
		],
		{
			cwd: root,
			env: opts.devAids ? process.env : { ...process.env, X_LOCAL_OBSERVABILITY: "false", WRANGLER_WRITE_LOGS: "false" },
			stdio: ["ignore", opts.quiet ? "ignore" : "inherit", opts.quiet ? "ignore" : "inherit"],
			detached: true,
		},
	);
}

/** SIGTERM to the child's process group, SIGKILL after 5 s. */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((r) => child.once("exit", r));
	if (child.pid) process.kill(-child.pid, "SIGTERM");
	await Promise.race([exited, sleep(5000)]);
	if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
}

export async function startStack(opts: StackOptions): Promise<Stack> {
	const site = `http://127.0.0.1:${opts.port}`;
	const dataDir = opts.dataDir ?? `${root}/.data`;
	mkdirSync(dataDir, { recursive: true });
	const stops: (() => Promise<void>)[] = [];
	let wrangler: ChildProcess | undefined;
	let stopping = false;

	const stop = async () => {
		if (stopping) return;
		stopping = true;
		if (wrangler) await stopProcessGroup(wrangler);
		for (const s of stops.reverse()) await s().catch((e) => console.error(String(e)));
	};

	try {
		if (opts.buildUi ?? true) await buildUi();

		let databaseUrl = opts.databaseUrl ?? "";
		let wsProxy = "";
		let statementsRunBy = (_label?: string) => 0;
		if (!databaseUrl) {
			const pg = await startPostgres({
				dir: `${dataDir}/pg`,
				port: opts.pgPort ?? (await freePort()),
				persistent: opts.persistent,
				countStatements: opts.countStatements,
			});
			stops.push(pg.stop);
			if (pg.dir !== `${dataDir}/pg` && !opts.quiet) console.log(`Postgres data in ${pg.dir} (the postgres user cannot reach ${dataDir})`);
			statementsRunBy = (label) =>
				label === undefined ? [...pg.statementCounts.values()].reduce((a, b) => a + b, 0) : (pg.statementCounts.get(label) ?? 0);
			const relay = await startWsRelay(await freePort());
			stops.push(relay.stop);
			databaseUrl = pg.url;
			wsProxy = relay.proxy;
		}
		await applyMigrations(databaseUrl);
		await seedDemo(databaseUrl, localSecrets);

		const oms = await startOmsSimulator({
			port: opts.omsPort ?? 0,
			relaySecret: localSecrets.OMS_RELAY_HMAC_SECRET,
			eventsSecret: localSecrets.OMS_EVENTS_HMAC_SECRET,
			eventsUrl: `${site}/oms/events`,
		});
		stops.push(oms.stop);
		const primary = await startPrimarySimulator(opts.primaryPort ?? 0);
		stops.push(primary.stop);
		const notify = await startNotifySimulator({ port: opts.notifyPort ?? 0, secret: localSecrets.NOTIFY_HMAC_SECRET });
		stops.push(notify.stop);

		const envFile = `${dataDir}/dev.env`;
		const vars: Record<string, string> = {
			...localSecrets,
			DATABASE_URL: databaseUrl,
			NEON_WS_PROXY: wsProxy,
			OMS_URL: oms.url,
			NOTIFY_URL: `${notify.url}/notices`,
			PRIMARY_HEALTH_URLS: JSON.stringify([{ url: `${primary.url}/health`, expectStatus: 200 }]),
			// Gateway mode for requests addressed to the primary simulator's host (Host header); the site's own host is unaffected.
			PRIMARY_ORIGIN: primary.url,
			// Ops alerts are only logged locally.
			ALERT_WEBHOOK_URL: "",
		};
		writeFileSync(
			envFile,
			Object.entries(vars)
				// dotenv keeps single-quoted values literally; double quotes would mangle the JSON ones.
				.map(([k, v]) => (v.includes("'") ? `${k}=${JSON.stringify(v)}` : `${k}='${v}'`))
				.join("\n"),
		);

		/** wrangler dev on the same state (Durable Objects, KV; persisted under dataDir), then waits for the site. */
		const launch = async () => {
			wrangler = await spawnWranglerDev({
				port: opts.port,
				args: [
					"--test-scheduled",
					"--env-file",
					envFile,
					"--persist-to",
					`${dataDir}/wrangler`,
					// A var on the command line: with [secrets] in wrangler.toml, wrangler dev takes from the
					// env file only the required secrets and the vars the file declares.
					...(opts.countPlatformCalls ? ["--var", "COUNT_PLATFORM_CALLS:on"] : []),
				],
				quiet: opts.quiet,
				devAids: opts.devAids,
			});
			wrangler.on("exit", (c) => {
				if (!stopping) opts.onWranglerExit?.(c);
			});

			const up = await poll(
				() =>
					fetch(`${site}/ops/health`).then(
						(r) => r.ok,
						() => false,
					),
				(ok) => ok,
				{ timeoutMs: 120_000, intervalMs: 500 },
			);
			if (!up.met) throw new Error(`the site did not come up on ${site}`);
		};
		await launch();
		const restartSite = async () => {
			stopping = true; // wrangler's exit is ours, not news for onWranglerExit
			if (wrangler) await stopProcessGroup(wrangler);
			stopping = false;
			await launch();
		};
		return { url: site, databaseUrl, oms, primary, notify, statementsRunBy, restartSite, stop };
	} catch (err) {
		await stop();
		throw err;
	}
}
