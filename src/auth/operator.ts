// Who may use /ops (except /ops/health): an operator signed in through Cloudflare Access, or
// the holder of OPS_TOKEN (local development, tests, machine tooling such as a metrics scraper).
//
// Access puts a signed JWT on every request to a protected path (Cf-Access-Jwt-Assertion). Its
// presence proves nothing: it is verified against the team's keys (createRemoteJWKSet, cached
// per isolate), with RS256 only, the application's audience tag, the team as issuer, and
// expiry. A request carrying an assertion that does not verify is refused even if it also
// carries a valid bearer token. The operator recorded in the audit trail is the e-mail claim
// (a service token has none: its common_name), or "ops-token" for the bearer.
import { createMiddleware } from "hono/factory";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { timingSafeEqual } from "hono/utils/buffer";
import type { AppEnv } from "../http/app-env";
import { Problem } from "../http/problem";
import { log } from "../observability/log";

export const ACCESS_HEADER = "cf-access-jwt-assertion";
/** The operator name of a request admitted by the OPS_TOKEN bearer. */
export const TOKEN_OPERATOR = "ops-token";

export interface OperatorEnv extends AppEnv {
	Variables: AppEnv["Variables"] & { operator: string };
}

const jwksByTeam = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** The team's origin (ACCESS_TEAM_DOMAIN, e.g. https://broker.cloudflareaccess.com), or null when Access is not configured. */
function accessTeam(env: Pick<Env, "ACCESS_TEAM_DOMAIN">): string | null {
	const raw = env.ACCESS_TEAM_DOMAIN?.trim();
	if (!raw) return null;
	return raw.replace(/\/+$/, "");
}

/** The operator named by a valid Access assertion, or null (why is logged, never answered). */
export async function verifyAccess(env: Pick<Env, "ACCESS_TEAM_DOMAIN" | "ACCESS_AUD">, assertion: string): Promise<string | null> {
	const team = accessTeam(env);
	const audience = env.ACCESS_AUD?.trim();
	if (!team || !audience) {
		log("ops.access_not_configured", {}, "warn");
		return null;
	}
	let jwks = jwksByTeam.get(team);
	if (!jwks) {
		jwks = createRemoteJWKSet(new URL(`${team}/cdn-cgi/access/certs`));
		jwksByTeam.set(team, jwks);
	}
	try {
		const { payload } = await jwtVerify(assertion, jwks, { algorithms: ["RS256"], audience, issuer: team, requiredClaims: ["exp"] });
		const name = typeof payload.email === "string" && payload.email ? payload.email : payload.common_name;
		return typeof name === "string" && name ? name : null;
	} catch (err) {
		log("ops.access_refused", { error: (err as { code?: string }).code ?? String(err) }, "warn");
		return null;
	}
}

const refused = (detail: string) => new Problem(401, "UNAUTHENTICATED", detail);

export const requireOperator = createMiddleware<OperatorEnv>(async (c, next) => {
	const assertion = c.req.header(ACCESS_HEADER);
	if (assertion !== undefined) {
		const operator = await verifyAccess(c.env, assertion);
		if (!operator) throw refused("the Cloudflare Access assertion is not valid; sign in again");
		c.set("operator", operator);
		return next();
	}
	const auth = c.req.header("authorization") ?? "";
	const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(auth);
	if (!match?.[1] || !c.env.OPS_TOKEN || !(await timingSafeEqual(c.env.OPS_TOKEN, match[1])))
		throw refused("sign in through Cloudflare Access, or give a valid ops token");
	c.set("operator", TOKEN_OPERATOR);
	return next();
});
