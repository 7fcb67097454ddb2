// `npm run deploy -- --env staging|production`: checks the environment's vars in wrangler.toml
// with the config guard (secrets are checked by the running Worker: /ops/health), builds the UI
// and deploys. `--check-only` stops after the check (the deploy workflow runs it before
// wrangler-action). `--secrets-file FILE` is passed to wrangler: the first deploy of a Worker
// whose [secrets] required are not set yet needs it (docs/deploy.md). There is no deploy
// without --env: the top level is the local Worker.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { configProblems, describeProblems, type GuardedEnv } from "../src/config/guard.ts";
import { DEPLOYED_ENVS, type DeployedEnv, readWorkerConfig } from "./wrangler-config.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
	options: { env: { type: "string" }, "check-only": { type: "boolean", default: false }, "secrets-file": { type: "string" } },
});
const env = values.env as DeployedEnv;
if (!DEPLOYED_ENVS.includes(env)) {
	console.error(`usage: npm run deploy -- --env ${DEPLOYED_ENVS.join("|")} [--check-only] [--secrets-file FILE]`);
	process.exit(2);
}

const config = readWorkerConfig(env);
const varProblems = configProblems(config.vars as GuardedEnv).filter((p) => p.setting in config.vars);
if (varProblems.length > 0) {
	console.error(`[env.${env}.vars] of wrangler.toml is not ready: ${describeProblems(varProblems)} (docs/deploy.md)`);
	process.exit(1);
}
if (!config.kv_namespaces.every((kv) => kv.id)) {
	console.error(`[env.${env}] has a KV namespace without an id: run \`npm run provision -- --env ${env}\` first`);
	process.exit(1);
}
console.log(`${config.name}: the vars of [env.${env}] pass the config guard`);
if (values["check-only"]) process.exit(0);

const run = (cmd: string, args: string[]) => {
	const res = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
	if (res.status !== 0) process.exit(res.status ?? 1);
};
run("npm", ["run", "build"]);
const secretsFile = values["secrets-file"] ? ["--secrets-file", values["secrets-file"]] : [];
run(process.execPath, [`${root}/node_modules/wrangler/bin/wrangler.js`, "deploy", "--env", env, ...secretsFile]);
