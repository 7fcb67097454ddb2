// How long a relay step waits before its next try.
/** Backoff of a relay retry: full jitter over min(cap, base * 2^(attempt-1)) seconds. */
export function retryDelaySeconds(attempts: number, baseSeconds: number, capSeconds: number, random = Math.random): number {
	const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempts - 1));
	return Math.round(random() * ceiling);
}
