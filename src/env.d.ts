// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here
// (values: .dev.vars.example). Both Env (Workers code) and Cloudflare.Env (`env` from
// "cloudflare:workers" in tests) get them.
interface LifeboatSecrets {
	DATABASE_URL: string;
	JWT_SECRET: string;
	JWT_KID: string;
	/** Optional, during a key rotation: the previous key and its id, still accepted for verification. */
	JWT_SECRET_PREVIOUS?: string;
	JWT_KID_PREVIOUS?: string;
	PASSWORD_PEPPER: string;
	TOTP_ENC_KEY: string;
	/** Lifeboat -> OMS: signs relayed orders and cancels (at least 32 bytes). */
	OMS_RELAY_HMAC_SECRET: string;
	/** OMS -> Lifeboat: checks POST /oms/events (at least 32 bytes). */
	OMS_EVENTS_HMAC_SECRET: string;
	/** Lifeboat -> the broker's SMS/e-mail gateway: signs notices (at least 32 bytes). */
	NOTIFY_HMAC_SECRET: string;
	OPS_TOKEN: string;
	SYNC_TOKEN: string;
	/** "on" in the bench's local stack only (never in wrangler.toml): src/observability/platform-calls.ts. */
	COUNT_PLATFORM_CALLS?: string;
}
// `wrangler types` gives the queue producers as `Queue` (of unknown bodies). Env's own members
// override what it inherits from the generated base, so the producers get their message types
// here. (Merged declarations of one member must agree, and two bases may not disagree: hence
// members of Env itself, not another base.)
interface Env extends LifeboatSecrets {
	ORDERS: Queue<import("./contract").OrderMessage>;
	RECORDS: Queue<import("./contract").RecordMessage>;
	NOTICES: Queue<import("./contract").NoticeMessage>;
}
declare namespace Cloudflare {
	interface Env extends LifeboatSecrets {
		ORDERS: Queue<import("./contract").OrderMessage>;
		RECORDS: Queue<import("./contract").RecordMessage>;
		NOTICES: Queue<import("./contract").NoticeMessage>;
	}
}
