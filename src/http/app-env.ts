// Hono's context type for every route module.
export interface AppEnv {
	Bindings: Env;
	/** clientId: set once a session token is verified (src/auth/middleware.ts). */
	Variables: { requestId: string; clientId?: string };
}
