// Hono's context type for every route module.
export interface AppEnv {
	Bindings: Env;
	Variables: { requestId: string };
}
