// Isolated Failover instances for the tests that drive probes round by round: each test makes
// its own instance (env.FAILOVER.getByName(unique)) pointed at its own health paths on the
// shared primary simulator (GET /health/<name>), so tests never flip shared state.
import { env } from "cloudflare:workers";
import { expect, inject } from "vitest";
import type { ProbeConfigOverrides } from "../src/failover/config";
import type { FailoverState, HealthTarget } from "../src/contract";
import { uid } from "./fixtures";

const primary = () => inject("primaryUrl");

export type PathControl = { up?: boolean; delayMs?: number; body?: string };

async function setPath(name: string, control: PathControl) {
	const res = await fetch(`${primary()}/__control`, { method: "POST", body: JSON.stringify({ paths: { [name]: control } }) });
	expect(res.ok).toBe(true);
}

/** A fresh health path on the simulator, up unless told otherwise. */
export async function healthPath(control: PathControl = {}) {
	const name = uid("h");
	await setPath(name, { up: true, delayMs: 0, ...control });
	const target: HealthTarget = { url: `${primary()}/health/${name}`, expectStatus: 200 };
	return { name, target, set: (c: PathControl) => setPath(name, c) };
}

/**
 * A Failover instance of its own; the fence only looks at a client no other test has, and (but
 * for the test of that wait) asks Postgres in the round it starts.
 */
export async function instance(targets: HealthTarget[], overrides: ProbeConfigOverrides = {}) {
	const name = uid("fo");
	const stub = env.FAILOVER.getByName(name);
	await stub.configure({
		targets,
		failThreshold: 3,
		recoverThreshold: 5,
		timeoutMs: 1000,
		inFlightClientIds: [uid("C")],
		// Its transitions notify nobody unless a test names its clients.
		noticeClientIds: [],
		fenceSettleSeconds: 0,
		...overrides,
	});
	return { name, stub };
}

export async function rounds(stub: { probeRound(): Promise<{ state: FailoverState }> }, n: number) {
	let last: FailoverState | undefined;
	for (let i = 0; i < n; i++) last = (await stub.probeRound()).state;
	return last as FailoverState;
}

/** Ops alerts of one event sent by one Failover instance (the primary simulator collects them). */
export async function instanceAlerts(event: string, instanceName: string) {
	const res = await fetch(`${primary()}/__alerts?event=${event}`);
	const { alerts } = (await res.json()) as { alerts: { text: string; detail: { instance?: string } }[] };
	return alerts.filter((a) => a.detail.instance === instanceName);
}
