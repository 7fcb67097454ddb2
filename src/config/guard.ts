// The config guard: a deployed Lifeboat (APP_ENV other than "local") must not go active while a
// setting that decides where orders go, who is told, or what keeps sessions safe is empty, a
// local value or an example. It names the settings, never their values: /ops/health is public.
import { localSecrets } from "./local-secrets.ts";

export const CONFIG_PROBLEMS = ["empty", "local", "example", "invalid"] as const;
export interface ConfigProblem {
	setting: string;
	problem: (typeof CONFIG_PROBLEMS)[number];
}

/** Settings that must be an https address of a real host: the OMS, this site, ops' webhook, the clients' notices gateway. */
const URL_SETTINGS = ["OMS_URL", "BACKUP_ORIGIN", "ALERT_WEBHOOK_URL", "NOTIFY_URL"] as const;
/** Secrets that must be set and not be the local ones. */
const SECRET_SETTINGS = [
	"JWT_SECRET",
	"JWT_KID",
	"PASSWORD_PEPPER",
	"TOTP_ENC_KEY",
	"OMS_RELAY_HMAC_SECRET",
	"OMS_EVENTS_HMAC_SECRET",
	"NOTIFY_HMAC_SECRET",
	"OPS_TOKEN",
	"SYNC_TOKEN",
] as const;

/** The settings the guard reads (a plain record, so Node scripts and tests can call it too). */
export type GuardedEnv = Record<
	| "APP_ENV"
	| "PRIMARY_HEALTH_URLS"
	| "PRIMARY_ORIGIN"
	| "DATABASE_URL"
	| "NEON_WS_PROXY"
	| "ACCESS_TEAM_DOMAIN"
	| "ACCESS_AUD"
	| (typeof URL_SETTINGS)[number]
	| (typeof SECRET_SETTINGS)[number],
	string
>;

const LOCAL_VALUES = new Set<string>(Object.values(localSecrets));
const EXAMPLE_TEXT = /example|replace[-_ ]?(?:me|with)|changeme|placeholder|<[^>]*>/i;

function isLocalHost(host: string): boolean {
	const h = host.replace(/^\[|\]$/g, "").toLowerCase();
	return h === "localhost" || h.endsWith(".localhost") || h === "::1" || h === "0.0.0.0" || h.startsWith("127.");
}

function isExampleHost(host: string): boolean {
	const h = host.toLowerCase();
	return /(^|\.)example(\.(com|net|org))?$/.test(h) || /\.(test|invalid)$/.test(h);
}

/** What is wrong with an address that must reach a real host over TLS, or null. */
function urlProblem(value: string, protocols: string[]): ConfigProblem["problem"] | null {
	if (!value.trim()) return "empty";
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return EXAMPLE_TEXT.test(value) ? "example" : "invalid";
	}
	if (isLocalHost(url.hostname)) return "local";
	if (isExampleHost(url.hostname) || EXAMPLE_TEXT.test(value)) return "example";
	return protocols.includes(url.protocol) ? null : "invalid";
}

function secretProblem(value: string | undefined): ConfigProblem["problem"] | null {
	if (!value?.trim()) return "empty";
	if (LOCAL_VALUES.has(value)) return "local";
	return EXAMPLE_TEXT.test(value) ? "example" : null;
}

function healthUrlProblems(raw: string): ConfigProblem["problem"][] {
	let targets: unknown;
	try {
		targets = JSON.parse(raw || "[]");
	} catch {
		return ["invalid"];
	}
	if (!Array.isArray(targets)) return ["invalid"];
	if (targets.length === 0) return ["empty"];
	return targets.map((t) => urlProblem(String((t as { url?: unknown })?.url ?? ""), ["https:"])).filter((p) => p !== null);
}

/** Whether the guard applies: every deployed environment; the local Worker runs on local values by design. */
export const guardApplies = (env: { APP_ENV: string }) => env.APP_ENV !== "local";

/** Every setting that keeps this environment from going active; empty when it may. */
export function configProblems(env: GuardedEnv): ConfigProblem[] {
	if (!guardApplies(env)) return [];
	const found: ConfigProblem[] = [];
	const add = (setting: string, problem: ConfigProblem["problem"] | null | undefined) => {
		if (problem) found.push({ setting, problem });
	};
	for (const name of URL_SETTINGS) add(name, urlProblem(env[name] ?? "", ["https:"]));
	add("PRIMARY_HEALTH_URLS", healthUrlProblems(env.PRIMARY_HEALTH_URLS)[0]);
	// Optional: checked only when set (gateway mode; Cloudflare Access in front of /ops).
	if (env.PRIMARY_ORIGIN) add("PRIMARY_ORIGIN", urlProblem(env.PRIMARY_ORIGIN, ["https:"]));
	if (env.ACCESS_TEAM_DOMAIN) add("ACCESS_TEAM_DOMAIN", urlProblem(env.ACCESS_TEAM_DOMAIN, ["https:"]));
	if (env.ACCESS_AUD) add("ACCESS_AUD", secretProblem(env.ACCESS_AUD));
	add("DATABASE_URL", urlProblem(env.DATABASE_URL ?? "", ["postgres:", "postgresql:"]));
	// The WebSocket relay in front of a local Postgres: never in a deployed environment.
	if (env.NEON_WS_PROXY) add("NEON_WS_PROXY", "local");
	for (const name of SECRET_SETTINGS) add(name, secretProblem(env[name]));
	return found;
}

/** One line for people: "OMS_URL is empty, JWT_SECRET is the local value". */
export function describeProblems(problems: ConfigProblem[]): string {
	const words: Record<ConfigProblem["problem"], string> = {
		empty: "is empty",
		local: "is a local value",
		example: "is an example",
		invalid: "is not a valid setting",
	};
	return problems.map((p) => `${p.setting} ${words[p.problem]}`).join(", ");
}
