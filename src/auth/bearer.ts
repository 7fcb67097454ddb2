// Machine-to-machine access (ops tooling, the primary's sync job) by a shared bearer token:
// Hono's bearerAuth (a timing-safe comparison), answering in problem+json. A missing or
// malformed header is a 401 like a wrong token, and an unset token admits no one.
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import type { AppEnv } from "../http/app-env";
import { problemResponse } from "../http/problem";

const refused = () => problemResponse(401, "UNAUTHENTICATED", "a valid bearer token is required");

export const requireBearer = (secret: "OPS_TOKEN" | "SYNC_TOKEN") =>
	bearerAuth<AppEnv>({
		verifyToken: async (token, c) => Boolean(c.env[secret]) && (await timingSafeEqual(c.env[secret], token)),
		noAuthenticationHeader: { message: refused },
		invalidAuthenticationHeader: { message: refused },
		invalidToken: { message: refused },
	});
