// wrangler.toml's three Workers, read the way wrangler reads them: the top level is the local
// Worker and nothing of it reaches staging or production; each environment has its own Worker,
// queues (all consumed, by a known kind), KV namespace and rate-limit namespace, and lists every
// secret. And production's settings as committed are refused by the config guard.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { QUEUE_KINDS, queueKind } from "../../queues/kinds.ts";
import { kvTitle, queuesOf, readWorkerConfig, type WorkerConfig as Config } from "../../scripts/wrangler-config.ts";
import { configProblems, type GuardedEnv } from "../../src/config/guard.ts";
import { localSecrets } from "../../src/config/local-secrets.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = readWorkerConfig;
const ENVS = { local: read(), staging: read("staging"), production: read("production") };
const entries = Object.entries(ENVS);

const vars = (c: Config) => c.vars;
const bySetting = (a: { setting: string }, b: { setting: string }) => a.setting.localeCompare(b.setting);
const kvIdOf = (c: Config) => c.kv_namespaces.find((k) => k.binding === "FLAGS")?.id;

/** The secrets .dev.vars.example documents (commented lines are the optional rotation secrets). */
const documentedSecrets = readFileSync(`${root}/.dev.vars.example`, "utf8")
	.split("\n")
	.filter((line) => /^[A-Z_]+=/.test(line))
	.map((line) => line.slice(0, line.indexOf("=")));

describe("wrangler.toml environments", () => {
	it("a bare `wrangler deploy` is the local Worker, under a name of its own with local settings only", () => {
		const local = ENVS.local;
		expect(local.name).toBe("lifeboat-dev");
		expect(vars(local).APP_ENV).toBe("local");
		expect(kvIdOf(local)).toMatch(/^0+$/);
		expect(local.routes ?? []).toEqual([]);
	});

	it("each environment has its own Worker, APP_ENV, queues, KV namespace and rate-limit namespace", () => {
		const names = entries.map(([, c]) => c.name);
		expect(names).toEqual(["lifeboat-dev", "lifeboat-staging", "lifeboat-production"]);
		expect(entries.map(([env, c]) => [env, vars(c).APP_ENV])).toEqual([
			["local", "local"],
			["staging", "staging"],
			["production", "production"],
		]);
		const allQueues = entries.flatMap(([, c]) => queuesOf(c));
		expect(new Set(allQueues).size).toBe(allQueues.length);
		const limiters = entries.flatMap(([, c]) => c.ratelimits.map((r) => r.namespace_id));
		expect(new Set(limiters).size).toBe(limiters.length);
		// Staging's and production's namespaces come from `npm run provision` (or wrangler's own provisioning): never a local or shared id.
		for (const env of ["staging", "production"] as const) {
			const id = kvIdOf(ENVS[env]);
			if (id !== undefined) expect(id).toMatch(/^(?!0+$)[0-9a-f]{32}$/);
		}
		const kvIds = entries.map(([, c]) => kvIdOf(c)).filter((id) => id !== undefined);
		expect(new Set(kvIds).size).toBe(kvIds.length);
	});

	it.each(entries)("%s: every queue is QUEUE_PREFIX + a kind the handler consumes, and each kind is produced or consumed", (_env, c) => {
		const prefix = vars(c).QUEUE_PREFIX ?? "";
		expect(prefix).toBe(`${c.name}-`);
		const queues = queuesOf(c);
		for (const q of queues) expect(queueKind(q, prefix), q).not.toBeNull();
		expect([...new Set(queues.map((q) => queueKind(q, prefix)))].sort()).toEqual([...QUEUE_KINDS].sort());
		// Every queue has a consumer, dead-letter queues included: nothing piles up unread.
		const consumed = new Set((c.queues.consumers ?? []).map((q) => q.queue));
		for (const q of queues) expect(consumed.has(q), `${q} has a consumer`).toBe(true);
	});

	it.each(entries)("%s: has every var of the top level and lists every documented secret as required", (_env, c) => {
		expect(Object.keys(vars(c)).sort()).toEqual(Object.keys(vars(ENVS.local)).sort());
		expect([...(c.secrets?.required ?? [])].sort()).toEqual([...documentedSecrets].sort());
		for (const name of Object.keys(localSecrets)) expect(c.secrets?.required).toContain(name);
	});

	it.each(["staging", "production"] as const)(
		"npm run provision -- --env %s --dry-run names every queue and namespace of that environment only",
		(env) => {
			const res = spawnSync(process.execPath, [`${root}/scripts/provision.ts`, "--env", env, "--dry-run"], { cwd: root, encoding: "utf8" });
			expect(res.status, res.stderr).toBe(0);
			const creates = [...res.stdout.matchAll(/would run: wrangler (?:queues|kv namespace) create (\S+)/g)].map((m) => m[1]);
			expect(creates.sort()).toEqual([...queuesOf(ENVS[env]), kvTitle(ENVS[env], "FLAGS")].sort());
			expect(res.stdout).toContain(`for FLAGS in [env.${env}] of wrangler.toml`);
		},
	);

	it("a queue's kind is read from its name, shards included; other environments' queues have none", () => {
		const p = "lifeboat-production-";
		expect(queueKind("lifeboat-production-orders", p)).toBe("orders");
		expect(queueKind("lifeboat-production-orders-dlq", p)).toBe("orders-dlq");
		expect(queueKind("lifeboat-production-orders-2", p)).toBe("orders");
		expect(queueKind("lifeboat-production-records-11-dlq", p)).toBe("records-dlq");
		expect(queueKind("lifeboat-staging-orders", p)).toBeNull();
		expect(queueKind("lifeboat-production-notify", p)).toBeNull();
		expect(queueKind("lifeboat-production-orders-x", p)).toBeNull();
	});

	it("the Durable Object bindings and triggers are the same everywhere", () => {
		for (const [, c] of entries) {
			expect(c.durable_objects.bindings.map((b) => [b.name, b.class_name])).toEqual([
				["ACCOUNTS", "Account"],
				["FAILOVER", "Failover"],
				["FAILOVER_READS", "FailoverReadCopy"],
			]);
			expect(c.triggers.crons).toEqual(ENVS.local.triggers.crons);
		}
	});
});

describe("production's config guard", () => {
	const productionWith = (secrets: Record<string, string>, overrides: Record<string, string> = {}) =>
		({ ...vars(ENVS.production), ...secrets, ...overrides }) as unknown as GuardedEnv;
	const realSecrets = Object.fromEntries([...documentedSecrets].map((name) => [name, `${name.toLowerCase()}-${"k".repeat(40)}`])) as Record<
		string,
		string
	>;
	const realSettings = {
		OMS_URL: "https://oms.broker.in/api",
		PRIMARY_HEALTH_URLS: JSON.stringify([{ url: "https://trade.broker.in/health", expectStatus: 200 }]),
		BACKUP_ORIGIN: "https://lifeboat.broker.in",
		ALERT_WEBHOOK_URL: "https://hooks.slack.com/services/T000/B000/abc",
		NOTIFY_URL: "https://sms.broker.in/lifeboat/notices",
		DATABASE_URL: "postgres://lifeboat_app:pw@ep-calm-1-pooler.ap-south-1.aws.neon.tech/lifeboat?sslmode=require",
		JWT_KID: "2026-11",
	};

	it("refuses production as committed: the broker's addresses are empty", () => {
		const problems = configProblems(
			productionWith(realSecrets, { DATABASE_URL: realSettings.DATABASE_URL, ALERT_WEBHOOK_URL: realSettings.ALERT_WEBHOOK_URL }),
		);
		expect(problems).toEqual([
			{ setting: "OMS_URL", problem: "empty" },
			{ setting: "BACKUP_ORIGIN", problem: "empty" },
			{ setting: "NOTIFY_URL", problem: "empty" },
			{ setting: "PRIMARY_HEALTH_URLS", problem: "empty" },
		]);
	});

	it("refuses the local secrets, .dev.vars.example's values and example or loopback addresses, naming each", () => {
		const examples = Object.fromEntries(
			readFileSync(`${root}/.dev.vars.example`, "utf8")
				.split("\n")
				.filter((line) => /^[A-Z_]+=/.test(line))
				.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
		);
		const withExamples = configProblems(productionWith({ ...realSettings, ...examples }));
		expect([...withExamples].sort(bySetting)).toEqual(
			documentedSecrets.map((setting) => ({ setting, problem: "example" })).sort(bySetting),
		);
		const withLocal = configProblems(
			productionWith(
				{ ...realSecrets, ...realSettings, ...localSecrets },
				{ OMS_URL: "http://127.0.0.1:8788", BACKUP_ORIGIN: "https://lifeboat.broker.example" },
			),
		);
		expect(withLocal).toEqual(
			expect.arrayContaining([
				{ setting: "OMS_URL", problem: "local" },
				{ setting: "BACKUP_ORIGIN", problem: "example" },
				{ setting: "JWT_SECRET", problem: "local" },
				{ setting: "OPS_TOKEN", problem: "local" },
			]),
		);
		expect(configProblems(productionWith({ ...realSecrets, ...realSettings }, { NEON_WS_PROXY: "127.0.0.1:9000/v2" }))).toEqual([
			{ setting: "NEON_WS_PROXY", problem: "local" },
		]);
		expect(
			configProblems(
				productionWith(
					{ ...realSecrets, ...realSettings },
					{ ACCESS_TEAM_DOMAIN: "https://broker.cloudflareaccess.com", ACCESS_AUD: "REPLACE_WITH_ACCESS_APPLICATION_AUD_TAG" },
				),
			),
		).toEqual([{ setting: "ACCESS_AUD", problem: "example" }]);
		expect(configProblems(productionWith({ ...realSecrets, ...realSettings }, { OMS_URL: "http://oms.broker.in" }))).toEqual([
			{ setting: "OMS_URL", problem: "invalid" },
		]);
	});

	it("passes a complete production configuration, and never guards the local Worker", () => {
		expect(configProblems(productionWith({ ...realSecrets, ...realSettings }))).toEqual([]);
		expect(configProblems({ ...vars(ENVS.local), ...localSecrets } as unknown as GuardedEnv)).toEqual([]);
	});
});
