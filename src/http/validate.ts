// Every body, query and param goes through `validate` (or `parseJson` where the raw body is
// needed first), whose failure is a 400 problem+json (never Hono's default text, never a 500
// from a parse that throws).
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import { createMiddleware } from "hono/factory";
import { type output, type ZodType, z } from "zod";
import { Problem } from "./problem";

export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(target: Target, schema: Schema) {
	const check = zValidator(target, schema, (result) => {
		if (!result.success) throw invalid(target === "json" ? "INVALID_BODY" : "INVALID_REQUEST", result.error);
	});
	if (target !== "json") return check;
	// Hono reads a body only when it is labelled JSON, and checks `{}` in its place otherwise: an
	// exit-all body sent as text/plain would exit everything. A body is never ignored: whatever its
	// label, it is read as JSON and checked, or refused.
	const checkJson: typeof check = async (c, next) => {
		if (JSON_MEDIA_TYPE.test((c.req.header("content-type") ?? "").split(";")[0]!.trim())) return check(c, next);
		const text = (await c.req.text()).trim();
		if (text === "") return check(c, next);
		c.req.addValidatedData("json", parseJson(schema, parseText(text)) as object);
		await next();
	};
	return checkJson;
}

/** The media types Hono's validator reads as JSON. */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

function parseText(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		throw new Problem(400, "MALFORMED_REQUEST", "the body is not JSON");
	}
}

/**
 * For a route that takes no body: nothing, `{}` or `null` pass; a field is refused as unknown
 * (a client sending one expects it to mean something), anything else as an invalid body.
 */
export const noBody = createMiddleware(async (c, next) => {
	const text = (await c.req.text()).trim();
	if (text !== "") {
		const json = parseText(text);
		if (typeof json === "object" && json !== null && !Array.isArray(json)) {
			const [field] = Object.keys(json);
			if (field !== undefined)
				throw new Problem(400, "UNKNOWN_FIELD", `unknown field "${field}" (this request takes no body)`, { fields: Object.keys(json) });
		} else if (json !== null) throw new Problem(400, "INVALID_BODY", "this request takes no body");
	}
	await next();
});

/** An already-parsed JSON body checked against a schema: its value, or a 400 INVALID_BODY. */
export function parseJson<Schema extends ZodType>(schema: Schema, json: unknown): output<Schema> {
	const result = schema.safeParse(json);
	if (!result.success) throw invalid("INVALID_BODY", result.error);
	return result.data;
}

function invalid(code: "INVALID_BODY" | "INVALID_REQUEST", error: z.core.$ZodError): Problem {
	// A field the route does not define is never ignored: a typo of `quantity` must not become a full exit.
	const unknown = error.issues.find((i) => i.code === "unrecognized_keys");
	if (unknown?.code === "unrecognized_keys") {
		const field = [...unknown.path, unknown.keys[0]].join(".");
		return new Problem(400, "UNKNOWN_FIELD", `unknown field "${field}"`, { fields: unknown.keys });
	}
	const issue = error.issues[0];
	const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
	return new Problem(400, code, `${where}${issue?.message ?? "invalid input"}`, {
		errors: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
	});
}

/** An id as text: 1 to `max` characters, none of them a control character (Postgres text cannot hold NUL). */
export const idText = (max: number) =>
	z
		.string()
		.min(1)
		.max(max)
		.regex(/^\P{Cc}+$/u, "no control characters");
