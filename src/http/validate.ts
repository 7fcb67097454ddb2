// Every body, query and param goes through `validate` (or `parseJson` where the raw body is
// needed first), whose failure is a 400 problem+json (never Hono's default text, never a 500
// from a parse that throws).
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { output, ZodType, z } from "zod";
import { Problem } from "./problem";

export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(target: Target, schema: Schema) {
	return zValidator(target, schema, (result) => {
		if (!result.success) throw invalid(target === "json" ? "INVALID_BODY" : "INVALID_REQUEST", result.error);
	});
}

/** An already-parsed JSON body checked against a schema: its value, or a 400 INVALID_BODY. */
export function parseJson<Schema extends ZodType>(schema: Schema, json: unknown): output<Schema> {
	const result = schema.safeParse(json);
	if (!result.success) throw invalid("INVALID_BODY", result.error);
	return result.data;
}

function invalid(code: "INVALID_BODY" | "INVALID_REQUEST", error: z.core.$ZodError): Problem {
	const issue = error.issues[0];
	const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
	return new Problem(400, code, `${where}${issue?.message ?? "invalid input"}`, {
		errors: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
	});
}
