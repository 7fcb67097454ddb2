// One trader intent (an exit, exit all, a cancel) = one Idempotency-Key, made when the
// trader confirms and reused for every retry of that intent, so a double tap, an automatic
// retry or a "Retry" press can never place a second order.
import { useRef, useState } from "preact/hooks";
import { isRetryable, newKey, sendIntent } from "./api";

export type IntentState<T> =
	| { phase: "idle" }
	| { phase: "sending"; retry: number }
	| { phase: "done"; result: T; retried: boolean }
	/** `unknown`: no answer ever came, so the order may or may not have been accepted. */
	| { phase: "failed"; error: unknown; unknown: boolean };

export function useIntent<T>() {
	const key = useRef<string | null>(null);
	const busy = useRef(false);
	const [state, setState] = useState<IntentState<T>>({ phase: "idle" });

	const run = async (send: (key: string) => Promise<T>) => {
		if (busy.current) return;
		busy.current = true;
		key.current ??= newKey();
		const k = key.current;
		let retried = false;
		setState({ phase: "sending", retry: 0 });
		try {
			const result = await sendIntent(
				() => send(k),
				(retry) => {
					retried = true;
					setState({ phase: "sending", retry });
				},
			);
			setState({ phase: "done", result, retried });
		} catch (error) {
			setState({ phase: "failed", error, unknown: isRetryable(error) });
		} finally {
			busy.current = false;
		}
	};

	/** A new intent: the next run gets a fresh key. */
	const reset = () => {
		key.current = null;
		setState({ phase: "idle" });
	};

	return { state, run, reset };
}
