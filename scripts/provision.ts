// `npm run provision -- --env staging|production [--dry-run]`: creates what wrangler.toml's
// section of that environment names and Cloudflare does not create on deploy: its queues and
// dead-letter queues, and its KV namespaces, whose ids it writes into that section. Run it once
// per environment (again after adding a queue or namespace): what exists already is kept.
// --dry-run prints the commands and changes nothing. Needs `wrangler login` or
// CLOUDFLARE_API_TOKEN + CLOUDFLARE_ACCOUNT_ID (docs/deploy.md).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEPLOYED_ENVS, type DeployedEnv, kvTitle, queuesOf, readWorkerConfig, WRANGLER_TOML } from "./wrangler-config.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { env: { type: "string" }, "dry-run": { type: "boolean", default: false } } });
const env = values.env as DeployedEnv;
if (!DEPLOYED_ENVS.includes(env)) {
	console.error(`usage: npm run provision -- --env ${DEPLOYED_ENVS.join("|")} [--dry-run]`);
	process.exit(2);
}
const dryRun = values["dry-run"];

function wrangler(args: string[], { mayFail = false } = {}): { ok: boolean; out: string } {
	console.log(`${dryRun ? "would run" : "running"}: wrangler ${args.join(" ")}`);
	if (dryRun) return { ok: false, out: "" };
	const res = spawnSync(process.execPath, [`${root}/node_modules/wrangler/bin/wrangler.js`, ...args], {
		cwd: root,
		encoding: "utf8",
		env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
	});
	const out = `${res.stdout}${res.stderr}`;
	if (res.status !== 0 && !mayFail) {
		console.error(out);
		throw new Error(`wrangler ${args.join(" ")} failed (exit ${res.status})`);
	}
	return { ok: res.status === 0, out };
}

/** Writes `id = "..."` into the environment's `[[env.X.kv_namespaces]]` block of that binding. */
function recordKvId(binding: string, id: string): void {
	const toml = readFileSync(WRANGLER_TOML, "utf8");
	const block = new RegExp(`(\\[\\[env\\.${env}\\.kv_namespaces\\]\\]\\nbinding = "${binding}"\\n)(id = "[^"]*"\\n)?`);
	if (!block.test(toml)) throw new Error(`no [[env.${env}.kv_namespaces]] block with binding = "${binding}" in wrangler.toml`);
	console.log(`${dryRun ? "would write" : "writing"}: id = "${id}" for ${binding} in [env.${env}] of wrangler.toml`);
	if (!dryRun) writeFileSync(WRANGLER_TOML, toml.replace(block, `$1id = "${id}"\n`));
}

const config = readWorkerConfig(env);
console.log(`provisioning ${config.name} (--env ${env})${dryRun ? ", dry run: nothing is changed" : ""}`);

for (const queue of queuesOf(config)) {
	if (wrangler(["queues", "info", queue], { mayFail: true }).ok) console.log(`  ${queue} exists`);
	else wrangler(["queues", "create", queue]);
}

const listed = wrangler(["kv", "namespace", "list"]);
const namespaces = listed.ok ? (JSON.parse(listed.out.slice(listed.out.indexOf("["))) as { id: string; title: string }[]) : [];
for (const kv of config.kv_namespaces) {
	const title = kvTitle(config, kv.binding);
	let id = namespaces.find((n) => n.title === title)?.id;
	if (id) console.log(`  ${title} exists (${id})`);
	else {
		const created = wrangler(["kv", "namespace", "create", title]).out;
		id = dryRun ? "<id of the new namespace>" : /\b[0-9a-f]{32}\b/.exec(created)?.[0];
		if (!id) throw new Error(`could not read the new namespace's id from:\n${created}`);
	}
	if (kv.id !== id) recordKvId(kv.binding, id);
}
console.log(dryRun ? "dry run done" : `done: commit wrangler.toml if it changed, then deploy with \`npm run deploy -- --env ${env}\``);
