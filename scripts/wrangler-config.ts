// wrangler.toml as wrangler itself resolves it for one environment: the parts that the
// provisioning script and the environment tests read.
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";

export const WRANGLER_TOML = fileURLToPath(new URL("../wrangler.toml", import.meta.url));
export const DEPLOYED_ENVS = ["staging", "production"] as const;
export type DeployedEnv = (typeof DEPLOYED_ENVS)[number];

export interface WorkerConfig {
	name: string;
	vars: Record<string, string>;
	routes?: unknown[];
	queues: { producers?: { queue: string }[]; consumers?: { queue: string; dead_letter_queue?: string }[] };
	kv_namespaces: { binding: string; id?: string }[];
	ratelimits: { namespace_id: string }[];
	secrets?: { required?: string[] };
	durable_objects: { bindings: { name: string; class_name: string }[] };
	triggers: { crons?: string[] };
}

/** The top level (the local Worker) without an env; a named environment with one. */
export function readWorkerConfig(env?: DeployedEnv): WorkerConfig {
	return unstable_readConfig({ config: WRANGLER_TOML, env }, { hideWarnings: true }) as unknown as WorkerConfig;
}

/** Every queue the Worker produces to, consumes or dead-letters into, each once. */
export function queuesOf(c: WorkerConfig): string[] {
	const names = [
		...(c.queues.producers ?? []).map((p) => p.queue),
		...(c.queues.consumers ?? []).flatMap((q) => (q.dead_letter_queue ? [q.queue, q.dead_letter_queue] : [q.queue])),
	];
	return [...new Set(names)];
}

/** The title of a KV namespace: the Worker's name and the binding, as wrangler's own provisioning names it. */
export const kvTitle = (c: WorkerConfig, binding: string) => `${c.name}-${binding.toLowerCase().replaceAll("_", "-")}`;
