// Sign-in to /ops: a Cloudflare Access assertion verified against the team's keys (served by
// the Access simulator; each test run makes its own RSA key pairs), or the OPS_TOKEN bearer.
import { exports } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { call, expectProblem, opsHeaders, SITE } from "./helpers";

const AUD = "lifeboat-test-aud";
const team = () => inject("accessUrl");

type Key = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let published: Key;
let unpublished: Key;

async function keyPair(kid: string, publish: boolean) {
	const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
	if (publish) {
		const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
		const res = await fetch(`${team()}/__control`, { method: "POST", body: JSON.stringify({ keys: [jwk] }) });
		expect(res.ok).toBe(true);
	}
	return privateKey;
}

function assertion(
	key: Key,
	kid: string,
	claims: { aud?: string; iss?: string; exp?: number | string; email?: string; common_name?: string } = {},
) {
	const { aud = AUD, iss = team(), exp = "5m", ...rest } = claims;
	return new SignJWT({ email: "ops@broker.example", ...rest })
		.setProtectedHeader({ alg: "RS256", kid })
		.setIssuedAt()
		.setIssuer(iss)
		.setAudience(aud)
		.setExpirationTime(exp)
		.sign(key);
}

const overviewWith = (headers: Record<string, string>) => call("/ops/overview", { headers });

beforeAll(async () => {
	published = await keyPair("k-good", true);
	unpublished = await keyPair("k-unknown", false);
});

describe("ops sign-in: Cloudflare Access", () => {
	it("accepts a valid assertion and takes the operator from its e-mail claim", async () => {
		const res = await overviewWith({ "cf-access-jwt-assertion": await assertion(published, "k-good") });
		expect(res.status).toBe(200);
		expect(((await res.json()) as { operator: string }).operator).toBe("ops@broker.example");
	});

	it("takes a service token's common_name when there is no e-mail", async () => {
		const jwt = await new SignJWT({ common_name: "metrics-scraper.access" })
			.setProtectedHeader({ alg: "RS256", kid: "k-good" })
			.setIssuer(team())
			.setAudience(AUD)
			.setExpirationTime("5m")
			.sign(published);
		const res = await overviewWith({ "cf-access-jwt-assertion": jwt });
		expect(((await res.json()) as { operator: string }).operator).toBe("metrics-scraper.access");
	});

	it.each([
		["another application's audience", () => assertion(published, "k-good", { aud: "someone-elses-aud" })],
		["another team as issuer", () => assertion(published, "k-good", { iss: "https://evil.cloudflareaccess.com" })],
		["an expired token", () => assertion(published, "k-good", { exp: Math.floor(Date.now() / 1000) - 120 })],
		["a key the team does not have", () => assertion(unpublished, "k-unknown")],
		["a known kid signed by another key", () => assertion(unpublished, "k-good")],
		[
			"alg none",
			async () => new UnsecuredJWT({ email: "ops@broker.example" }).setIssuer(team()).setAudience(AUD).setExpirationTime("5m").encode(),
		],
		[
			"HS256 with a shared secret",
			() =>
				new SignJWT({ email: "ops@broker.example" })
					.setProtectedHeader({ alg: "HS256", kid: "k-good" })
					.setIssuer(team())
					.setAudience(AUD)
					.setExpirationTime("5m")
					.sign(new TextEncoder().encode("a-secret-anyone-could-guess-000000")),
		],
		["garbage", async () => "not.a.jwt"],
		["an empty header", async () => ""],
	])("refuses %s with 401", async (_what, make) => {
		await expectProblem(await overviewWith({ "cf-access-jwt-assertion": await make() }), 401, "UNAUTHENTICATED");
	});

	it("refuses a present but invalid assertion even alongside a valid ops token, and changes nothing", async () => {
		const before = await (await call("/ops/failover", { headers: opsHeaders })).json();
		const res = await call("/ops/failover", {
			method: "POST",
			headers: { ...opsHeaders, "cf-access-jwt-assertion": "garbage" },
			body: JSON.stringify({ active: true, reason: "should not happen" }),
		});
		await expectProblem(res, 401, "UNAUTHENTICATED");
		expect(await (await call("/ops/failover", { headers: opsHeaders })).json()).toEqual(before);
	});
	it("refuses a state-changing request from another site's page carrying the operator's Access sign-in, and changes nothing", async () => {
		const before = await (await call("/ops/failover", { headers: opsHeaders })).json();
		const signedIn = { "cf-access-jwt-assertion": await assertion(published, "k-good") };
		// What a form with enctype="text/plain" on a hostile page sends once Access has signed the operator in.
		const forged = await call("/ops/failover", {
			method: "POST",
			headers: { ...signedIn, origin: "https://evil.example", "content-type": "text/plain" },
			body: JSON.stringify({ active: false, reason: "forged" }),
		});
		await expectProblem(forged, 403, "CROSS_SITE_REQUEST");
		expect(await (await call("/ops/failover", { headers: opsHeaders })).json()).toEqual(before);
		// The console's own page (same Origin) and a script with no Origin are let through to the route.
		const own = await call("/ops/failover", { method: "POST", headers: { ...signedIn, origin: SITE }, body: JSON.stringify({ nope: 1 }) });
		await expectProblem(own, 400, "UNKNOWN_FIELD");
		const script = await call("/ops/failover", { method: "POST", headers: signedIn, body: JSON.stringify({ nope: 1 }) });
		await expectProblem(script, 400, "UNKNOWN_FIELD");
		// Another site's page embedding an ops GET (an <img>) is refused; following a link to the console is not.
		const embedded = { ...signedIn, "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" };
		await expectProblem(await call("/ops/overview", { headers: embedded }), 403, "CROSS_SITE_REQUEST");
		const followed = { ...signedIn, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" };
		expect((await call("/ops/overview", { headers: followed })).status).toBe(200);
	});
});

describe("ops sign-in: the OPS_TOKEN bearer", () => {
	it("admits the token as operator ops-token, refuses no token or a wrong one", async () => {
		const ok = await overviewWith({ authorization: "Bearer dev-ops-token" });
		expect(((await ok.json()) as { operator: string }).operator).toBe("ops-token");
		await expectProblem(await overviewWith({}), 401, "UNAUTHENTICATED");
		await expectProblem(await overviewWith({ authorization: "Bearer wrong" }), 401, "UNAUTHENTICATED");
		await expectProblem(await overviewWith({ authorization: "Basic ZGV2OmRldg==" }), 401, "UNAUTHENTICATED");
	});

	it("serves the console page without a token: it holds no secret", async () => {
		const res = await exports.default.fetch(new Request("https://lifeboat.test/ops/"));
		// The assets are built by npm run build; without them the route says so.
		expect([200, 404]).toContain(res.status);
		const text = await res.text();
		expect(text).not.toContain("dev-ops-token");
	});
});
