// The relay's part in the OMS's reachability: a relay call that got no definite answer or a 5xx
// asks the Failover object to probe the OMS soon (Failover.omsSuspect). It never decides by
// itself (one client's failing orders must not refuse everyone's exits), and an isolate asks at
// most once per OMS_SUSPECT_DEBOUNCE_MS: a burst of failures is one call, not a queue of them
// on the one Failover object.
import { log } from "../observability/log";
import { failoverStub } from "./state";

export const OMS_SUSPECT_DEBOUNCE_MS = 5000;

let lastSuspectAt = Number.NEGATIVE_INFINITY;

/** True when the OMS's answer (an HTTP status, or null for none) says it may be down. */
export const omsTrouble = (status: number | null) => status === null || status >= 500;

export async function suspectOms(env: Env, reason: string): Promise<void> {
	const now = Date.now();
	if (now - lastSuspectAt < OMS_SUSPECT_DEBOUNCE_MS) return;
	lastSuspectAt = now;
	try {
		const { nextRoundAt } = await failoverStub(env).omsSuspect();
		log("relay.oms_suspect", { reason, nextRoundAt });
	} catch (err) {
		log("relay.oms_suspect_failed", { reason, message: String(err) }, "warn");
	}
}
