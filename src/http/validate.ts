// Every body, query and param goes through `validate`, whose failure is a 400 problem+json
// (never Hono's default text, never a 500 from a parse that throws).
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { ZodType } from "zod";
import { Problem } from "./problem";

export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(target: Target, schema: Schema) {
	return zValidator(target, schema, (result) => {
		if (!result.success) {
			const issue = result.error.issues[0];
			const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
			throw new Problem(400, target === "json" ? "INVALID_BODY" : "INVALID_REQUEST", `${where}${issue?.message ?? "invalid input"}`, {
				errors: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
			});
		}
	});
}
