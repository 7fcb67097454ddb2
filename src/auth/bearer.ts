import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app-env";
import { Problem } from "../http/problem";
import { constantTimeEqual } from "./constant-time";

/** Machine-to-machine access (ops tooling, the primary's sync job) by a shared bearer token. */
export const requireBearer = (secret: "OPS_TOKEN" | "SYNC_TOKEN") =>
	createMiddleware<AppEnv>(async (c, next) => {
		const header = c.req.header("authorization") ?? "";
		const token = header.startsWith("Bearer ") ? header.slice(7) : "";
		if (!token || !c.env[secret] || !constantTimeEqual(token, c.env[secret])) {
			throw new Problem(401, "UNAUTHENTICATED", "a valid bearer token is required");
		}
		await next();
	});
