// The part of autocannon's API that bench/load.ts and the scenarios use (the package ships no types).
declare module "autocannon" {
	import type { EventEmitter } from "node:events";

	interface Request {
		method?: string;
		path?: string;
		headers?: Record<string, string>;
		body?: string;
	}
	interface Options {
		url: string;
		connections?: number;
		duration?: number;
		headers?: Record<string, string>;
		requests?: (Request & { setupRequest?: (req: Request) => Request })[];
	}
	interface Result {
		duration: number;
		errors: number;
		timeouts: number;
		non2xx: number;
		"2xx": number;
		requests: { average: number; total: number };
	}
	interface Instance extends EventEmitter, PromiseLike<Result> {}
	function autocannon(opts: Options): Instance;
	export default autocannon;
}
