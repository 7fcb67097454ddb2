import { api, type Position, type SquareOffResult } from "../api";
import { qty } from "../format";
import { useIntent } from "../intent";
import { exitAllPlan } from "../plan";
import { IntentStatus } from "./IntentStatus";
import { CloseButton, Modal } from "./Modal";

export function ExitAllDialog(props: { positions: Position[]; onClose: () => void; onPlaced: (r: SquareOffResult) => void }) {
	const plan = exitAllPlan(props.positions);
	const intent = useIntent<SquareOffResult>();
	const send = () =>
		intent.run(async (key) => {
			const r = await api.squareOffAll(key);
			props.onPlaced(r);
			return r;
		});
	return (
		<Modal title="Exit all positions" onClose={props.onClose}>
			<p>These {plan.length} market orders will be placed, shorts first (so no short option is left without its hedge):</p>
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
						Exit all accepted{intent.state.retried ? " (confirmed after the connection came back)" : ""}:{" "}
						{intent.state.result.orders.length} orders placed. Follow them under Orders.
					</p>
					<div class="actions">
						<CloseButton onClose={props.onClose} />
					</div>
				</>
			) : (
				<>
					<IntentStatus state={intent.state} what="exit all" onRetry={send} />
					<div class="actions">
						<button type="button" onClick={props.onClose} disabled={intent.state.phase === "sending"}>
							Cancel
						</button>
						<button type="button" class="danger" onClick={send} disabled={intent.state.phase === "sending" || plan.length === 0}>
							Place {plan.length} {plan.length === 1 ? "order" : "orders"}
						</button>
					</div>
				</>
			)}
		</Modal>
	);
}
