// `npm start`: the whole local stack from one command (scripts/stack.ts). Ctrl-C
// (SIGINT/SIGTERM) stops everything it started.
import { fileURLToPath } from "node:url";
import { demoClients } from "./demo-data.ts";
import { localSecrets } from "../src/config/local-secrets.ts";
import { type Stack, startStack } from "./stack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
let stack: Stack | undefined;
let stopping = false;

async function shutdown(code: number) {
	if (stopping) return;
	stopping = true;
	await stack?.stop();
	process.exit(code);
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));
// npm does not always pass SIGTERM on to its script: when our parent goes away, so do we.
const parentPid = process.ppid;
setInterval(() => process.ppid !== parentPid && shutdown(0), 500).unref();

try {
	console.log("building the UI, starting Postgres, the simulators and wrangler dev…");
	stack = await startStack({
		port: Number(process.env.PORT ?? 8787),
		omsPort: Number(process.env.OMS_PORT ?? 8788),
		primaryPort: Number(process.env.PRIMARY_PORT ?? 8789),
		notifyPort: Number(process.env.NOTIFY_PORT ?? 8790),
		pgPort: Number(process.env.PG_PORT ?? 54329),
		// `npm run drill` points this at a fresh folder.
		dataDir: process.env.LIFEBOAT_DATA_DIR ?? `${root}/.data`,
		persistent: true,
		devAids: true,
		databaseUrl: process.env.DATABASE_URL,
		onWranglerExit: (c) => {
			console.error(`wrangler dev exited (${c})`);
			void shutdown(1);
		},
	});
	const site = stack.url;
	// wrangler dev never fires crons itself: one round now starts the failover probe loop.
	await fetch(`${site}/__scheduled`).catch(() => undefined);
	console.log(`
Lifeboat is up on ${site}
  demo clients (password / TOTP secret, base32):
${demoClients.map((c) => `    ${c.clientId}  ${c.password}  ${c.totpSecret}`).join("\n")}
  ops token: ${localSecrets.OPS_TOKEN}   sync token: ${localSecrets.SYNC_TOKEN}
  primary simulator: ${stack.primary.url} (POST /__control {"up":false} takes it down)
  OMS simulator:     ${stack.oms.url} (POST /__control {"mode":"reject"}; GET /__stats)
  notices simulator: ${stack.notify.url} (GET /__stats: the notices it got; POST /__control {"mode":"error"})
  status page:       ${site}/status
  cron: GET ${site}/__scheduled
Ctrl-C stops everything.`);
} catch (err) {
	console.error(err);
	await shutdown(1);
}
