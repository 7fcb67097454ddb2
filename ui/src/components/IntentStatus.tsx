import type { IntentState } from "../intent";
import { describeError } from "../messages";

/** What happened to the request, in words, while it is sent, retried, accepted or refused. */
export function IntentStatus<T>(props: { state: IntentState<T>; what: string; onRetry: () => void }) {
	const { state, what } = props;
	return (
		<div role="status" aria-live="assertive" class="intent">
			{state.phase === "sending" &&
				(state.retry
					? `The connection dropped. Checking whether your ${what} was accepted: retry ${state.retry}, with the same request, so it cannot be placed twice…`
					: `Sending your ${what}…`)}
			{state.phase === "failed" &&
				(state.unknown ? (
					<>
						<p class="error">
							We could not reach Lifeboat, so we cannot yet tell whether your {what} was accepted. Press Retry: it resends the same request
							and can never place it twice.
						</p>
						<button type="button" class="primary" onClick={props.onRetry}>
							Retry
						</button>
					</>
				) : (
					<p class="error">{describeError(state.error)}</p>
				))}
		</div>
	);
}
