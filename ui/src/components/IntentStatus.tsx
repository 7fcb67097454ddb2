import type { IntentState } from "../intent";
import { t } from "../i18n";
import { describeError } from "../messages";

/** What happened to the request, in words, while it is sent, retried, accepted or refused. Offline, Retry is off. */
export function IntentStatus<T>(props: { state: IntentState<T>; what: string; onRetry: () => void; offline?: boolean }) {
	const { state, what } = props;
	return (
		<div role="status" aria-live="assertive" class="intent">
			{state.phase === "sending" && (state.retry ? t.retrying(what, state.retry) : t.sending(what))}
			{state.phase === "failed" &&
				(state.unknown ? (
					<>
						<p class="error">{t.unknownOutcome(what)}</p>
						<button type="button" class="primary" onClick={props.onRetry} disabled={props.offline}>
							{t.retry}
						</button>
					</>
				) : (
					<p class="error">{describeError(state.error)}</p>
				))}
		</div>
	);
}
