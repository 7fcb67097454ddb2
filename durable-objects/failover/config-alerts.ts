// The config guard (src/config/guard.ts) as ops hear of it: an alert when its finding changes,
// and one when the primary failed but an incomplete configuration keeps Lifeboat from taking over.
import { configProblems, describeProblems } from "../../src/config/guard";
import { sendAlert } from "../../src/observability/alerts";

/** Alerts ops when the config guard's finding changes: incomplete (what) or complete again. */
export async function checkConfig(sql: SqlStorage, env: Env, instance: string): Promise<void> {
	const now = describeProblems(configProblems(env));
	const before = sql.exec<{ problems: string }>("SELECT problems FROM config_guard WHERE id = 1").one().problems;
	if (now === before) return;
	sql.exec("UPDATE config_guard SET problems = ? WHERE id = 1", now);
	const detail = { instance, appEnv: env.APP_ENV, problems: now };
	await sendAlert(
		env,
		now
			? {
					event: "config.incomplete",
					text: `Lifeboat will NOT go active until its configuration is complete: ${now} (GET /ops/health)`,
					detail,
				}
			: { event: "config.complete", text: "Lifeboat's configuration is complete: it can go active", detail },
	);
}

/** The primary failed, but the configuration keeps Lifeboat from taking over: ops must know at once. */
export async function announceRefusal(env: Env, instance: string, consecutiveFail: number, problems: string): Promise<void> {
	await sendAlert(env, {
		event: "failover.refused",
		text: `The primary failed ${consecutiveFail} health rounds in a row, but Lifeboat will NOT go active: ${problems}`,
		detail: { instance, appEnv: env.APP_ENV, problems },
	});
}
