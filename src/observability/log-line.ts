// Writes one structured log line: the only module of the Workers code that touches the console
// (Biome's noConsole allows it here alone). Imports nothing, so modules that Node scripts load
// as well (src/auth/password.ts) can log through it; everything else imports ./log.

/** `alert`: an ops alert (src/observability/alerts.ts), written at warn level before it is posted. */
export type LogLevel = "info" | "warn" | "error" | "alert";

export function log(event: string, fields: Record<string, unknown> = {}, level: LogLevel = "info"): void {
	const line = JSON.stringify({ level, event, at: new Date().toISOString(), ...fields });
	if (level === "error") console.error(line);
	else if (level === "warn" || level === "alert") console.warn(line);
	else console.log(line);
}
