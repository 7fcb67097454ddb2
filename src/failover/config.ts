// Probe and decision settings of the Failover Durable Object, from wrangler vars. An
// instance may carry overrides (Failover.configure): drills and tests point one instance
// at its own health URLs and thresholds without touching the shared configuration.
import { z } from "zod";
import { log } from "../observability/log";
import type { HealthTarget } from "../contract";

const Target = z.object({
	url: z.url(),
	expectStatus: z.number().int().min(100).max(599),
	bodyIncludes: z.string().min(1).optional(),
});

export const ProbeConfigSchema = z.object({
	targets: z.array(Target),
	/** Seconds between probe rounds while the primary looks healthy. */
	intervalSeconds: z.number().positive(),
	/** Seconds between rounds once a round failed, or while fencing: detection and failback don't wait a full interval. */
	suspectIntervalSeconds: z.number().positive(),
	timeoutMs: z.number().int().positive(),
	/** Consecutive failed rounds that make Lifeboat active. */
	failThreshold: z.number().int().min(1),
	/** Consecutive good rounds that start the way back to standby. */
	recoverThreshold: z.number().int().min(1),
	/** Longest the fence waits for in-flight orders before handing over anyway. */
	fenceMaxSeconds: z.number().min(0),
	/**
	 * Shortest fence. The in-flight check reads Postgres, which learns of an order a few seconds
	 * after its Account accepted it (an isolate reuses the failover answer for 1 s, the Account
	 * sends records once a second, the records queue batches for up to 1 s): an exit accepted
	 * just before the fence must be seen as PENDING, not handed over unnoticed.
	 */
	fenceSettleSeconds: z.number().min(0),
	/** Limits the fence's in-flight check to these clients (drills and tests on a shared database); null = every client. */
	inFlightClientIds: z.array(z.string()).nullable(),
	/** Limits the notices of this instance's transitions to these clients (drills and tests); [] = none, null = every client. */
	noticeClientIds: z.array(z.string()).nullable(),
	/** The OMS's health URL, probed in every round (`{OMS_URL}/health`); null = not probed, taken as reachable. */
	omsHealthUrl: z.url().nullable(),
	/** Consecutive failed OMS health probes that make the OMS unreachable (one good probe makes it reachable again). */
	omsFailThreshold: z.number().int().min(1),
});
export type ProbeConfig = z.infer<typeof ProbeConfigSchema>;
export const ProbeConfigOverrides = ProbeConfigSchema.partial();
export type ProbeConfigOverrides = z.infer<typeof ProbeConfigOverrides>;

function num(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
}

function targets(raw: string | undefined): HealthTarget[] {
	try {
		return z.array(Target).parse(JSON.parse(raw ?? "[]"));
	} catch (err) {
		log("failover.config_invalid", { var: "PRIMARY_HEALTH_URLS", message: String(err) }, "error");
		return [];
	}
}

/** `{OMS_URL}/health` (api.md "OMS reachability"); null when OMS_URL is not a URL. */
export function omsHealthUrl(omsUrl: string | undefined): string | null {
	if (!omsUrl) return null;
	try {
		return new URL(`${omsUrl.replace(/\/+$/, "")}/health`).toString();
	} catch {
		log("failover.config_invalid", { var: "OMS_URL", message: "not a URL" }, "error");
		return null;
	}
}

export function probeConfig(env: Env, overrides: ProbeConfigOverrides = {}): ProbeConfig {
	const intervalSeconds = num(env.PROBE_INTERVAL_SECONDS, 10);
	return {
		targets: targets(env.PRIMARY_HEALTH_URLS),
		intervalSeconds,
		suspectIntervalSeconds: num(env.PROBE_SUSPECT_INTERVAL_SECONDS, Math.max(1, intervalSeconds / 2)),
		timeoutMs: num(env.PROBE_TIMEOUT_MS, 3000),
		failThreshold: Math.floor(num(env.FAILOVER_FAIL_THRESHOLD, 3)),
		recoverThreshold: Math.floor(num(env.FAILOVER_RECOVER_THRESHOLD, 5)),
		fenceMaxSeconds: num(env.FAILOVER_FENCE_MAX_SECONDS, 120),
		fenceSettleSeconds: 5,
		inFlightClientIds: null,
		noticeClientIds: null,
		omsHealthUrl: omsHealthUrl(env.OMS_URL),
		omsFailThreshold: Math.floor(num(env.OMS_FAIL_THRESHOLD, 2)),
		...overrides,
	};
}
