import { api, type Position, type SquareOffResult } from "../api";
import { qty } from "../format";
import { t } from "../i18n";
import { useIntent } from "../intent";
import { exitAllPlan } from "../plan";
import { IntentStatus } from "./IntentStatus";
import { CloseButton, Modal } from "./Modal";

export function ExitAllDialog(props: {
	positions: Position[];
	offline: boolean;
	onClose: () => void;
	onPlaced: (r: SquareOffResult) => void;
}) {
	const plan = exitAllPlan(props.positions);
	const intent = useIntent<SquareOffResult>();
	const send = () =>
		intent.run(async (key) => {
			const r = await api.squareOffAll(key);
			props.onPlaced(r);
			return r;
		});
	return (
		<Modal title={t.exitAllTitle} onClose={props.onClose}>
			<p>{t.exitAllPlan(plan.length)}</p>
			<ol class="plan" data-testid="exit-all-plan">
				{plan.map((o, i) => (
					<li key={`${o.positionId}-${i}`}>
						<strong class={o.side === "SELL" ? "sell" : "buy"}>{o.side}</strong> {qty(o.quantity)} {o.symbol}{" "}
						<span class="muted">{o.exchange}</span>
					</li>
				))}
			</ol>
			{intent.state.phase === "done" ? (
				<>
					<p class="ok" role="status">
						{t.exitAllDone(intent.state.retried ? t.afterRetry : "", intent.state.result.orders.length)}
					</p>
					<div class="actions">
						<CloseButton onClose={props.onClose} />
					</div>
				</>
			) : (
				<>
					<IntentStatus state={intent.state} what={t.what.exitAll} onRetry={send} offline={props.offline} />
					<div class="actions">
						<button type="button" onClick={props.onClose} disabled={intent.state.phase === "sending"}>
							{t.cancel}
						</button>
						<button
							type="button"
							class="danger"
							onClick={send}
							disabled={props.offline || intent.state.phase === "sending" || plan.length === 0}
						>
							{t.placeN(plan.length)}
						</button>
					</div>
				</>
			)}
		</Modal>
	);
}
