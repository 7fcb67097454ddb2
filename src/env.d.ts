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
	OMS_HMAC_SECRET: string;
	OPS_TOKEN: string;
	SYNC_TOKEN: string;
}
interface Env extends LifeboatSecrets {}
declare namespace Cloudflare {
	interface Env extends LifeboatSecrets {}
}
