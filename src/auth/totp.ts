// TOTP (RFC 6238) with otplib: 30 s steps, one step of drift either way, and never a step at
// or before the last one this client had accepted (so each code works once).
import { verify } from "otplib";
import { log } from "../observability/log";

export const TOTP_PERIOD_SECONDS = 30;

/** The time step the code belongs to, or null when it is wrong, too far off, or already used. */
export async function verifyTotp(
	seedBase32: string,
	code: string,
	nowSeconds: number,
	lastAcceptedStep: number | null,
): Promise<number | null> {
	try {
		const result = await verify({
			secret: seedBase32,
			token: code,
			period: TOTP_PERIOD_SECONDS,
			epoch: nowSeconds,
			epochTolerance: TOTP_PERIOD_SECONDS,
			afterTimeStep: lastAcceptedStep ?? undefined,
		});
		return result.valid && "timeStep" in result ? result.timeStep : null;
	} catch (err) {
		// otplib throws when the last accepted step is ahead of the window (a clock that went back).
		log("auth.totp_unverifiable", { message: err instanceof Error ? err.message : String(err) }, "warn");
		return null;
	}
}
