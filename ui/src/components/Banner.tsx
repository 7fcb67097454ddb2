import type { Status } from "../api";
import { ago, clock } from "../format";
import { lang, setLang, t } from "../i18n";

/**
 * Always on top: who is in charge, whether exits can reach the exchange, how fresh the
 * replicated data is, whether this device is offline; and the language switch.
 */
export function Banner(props: { status: Status | null; unreachable: boolean; offline: boolean }) {
	const { status, unreachable, offline } = props;
	const mode = offline || unreachable ? "offline" : (status?.mode ?? "checking");
	const stale = status?.data.lagSeconds != null && status.data.stale;
	// Only while active: in standby exits are not taken here anyway.
	const omsDown = mode === "active" && status?.oms?.reachable === false;
	return (
		<header class={`banner ${mode}`}>
			<p role="status" aria-live="polite" data-testid="mode">
				{offline ? (
					<>
						<strong>{t.offline}</strong> {t.offlineDetail}
					</>
				) : (
					mode === "offline" && t.unreachable
				)}
				{mode === "checking" && t.checking}
				{mode === "active" && (
					<>
						<strong>{t.activeTitle}</strong> {t.activeBody}
					</>
				)}
				{mode === "standby" && (
					<>
						<strong>{t.standbyTitle}</strong> {t.standbyBody}
						{status?.primaryUrl ? (
							<>
								{" "}
								<a href={status.primaryUrl}>{t.openMain}</a>
							</>
						) : null}
					</>
				)}
			</p>
			{omsDown && (
				<p class="oms-down" role="alert" data-testid="oms">
					<strong>{t.omsDownTitle}</strong> {t.omsDownBody(status?.oms?.since ? clock(status.oms.since) : null)}
				</p>
			)}
			{/* The switch sits beside the short freshness line, so the mode sentence keeps the full width and the banner's height holds. */}
			<div class="banner-row">
				<p class="freshness">
					{status?.data.asOf ? t.dataAsOf(clock(status.data.asOf)) : t.dataTimeUnknown}
					{stale && status?.data.lagSeconds != null && <strong class="warn">{t.dataBehind(ago(status.data.lagSeconds))}</strong>}
					{" · "}
					{/* The public status page (served by the Worker, in both languages). */}
					<a href={`/status?lang=${lang}`} data-testid="status-page">
						{lang === "hi" ? "स्थिति पेज" : "Status page"}
					</a>
				</p>
				<button
					type="button"
					class="lang"
					lang={lang === "en" ? "hi" : "en"}
					aria-label={t.switchLabel}
					data-testid="lang"
					onClick={() => setLang(lang === "en" ? "hi" : "en")}
				>
					{t.switchTo}
				</button>
			</div>
		</header>
	);
}
