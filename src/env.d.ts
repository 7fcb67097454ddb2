// `wrangler types` (worker-configuration.d.ts) gives the vars, the bindings and the secrets of
// `[secrets] required`. Added here: the optional settings (the two rotation secrets, which
// `[secrets] required` cannot list since wrangler refuses to deploy while one is unset, and the
// bench's switch) and the queue producers' message types. Both Env (Workers code) and
// Cloudflare.Env (`env` from "cloudflare:workers" in tests) get them.
interface OptionalSettings {
	/** Optional, during a key rotation: the previous key and its id, still accepted for verification (docs/deploy.md). */
	JWT_SECRET_PREVIOUS?: string;
	JWT_KID_PREVIOUS?: string;
	/** "on" in the bench's local stack only (never in wrangler.toml): src/observability/platform-calls.ts. */
	COUNT_PLATFORM_CALLS?: string;
}
// `wrangler types` gives the queue producers as `Queue` (of unknown bodies). Env's own members
// override what it inherits from the generated base, so the producers get their message types
// here. (Merged declarations of one member must agree, and two bases may not disagree: hence
// members of Env itself, not another base.)
interface Env extends OptionalSettings {
	ORDERS: Queue<import("./contract").OrderMessage>;
	RECORDS: Queue<import("./contract").RecordMessage>;
	NOTICES: Queue<import("./contract").NoticeMessage>;
}
declare namespace Cloudflare {
	interface Env extends OptionalSettings {
		ORDERS: Queue<import("./contract").OrderMessage>;
		RECORDS: Queue<import("./contract").RecordMessage>;
		NOTICES: Queue<import("./contract").NoticeMessage>;
	}
}
