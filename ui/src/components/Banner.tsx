import type { ComponentChildren } from "preact";
import type { Status } from "../api";
import { ago, clock } from "../format";
import { lang, setLang, t } from "../i18n";

type Sentence = "deviceOffline" | "offline" | "checking" | "active" | "standby";
const SENTENCES: Sentence[] = ["deviceOffline", "offline", "checking", "active", "standby"];
// The longest freshness line: a stale warning of a four-digit number of minutes.
const LONGEST_LAG_SECONDS = 9_999 * 60;

/** A link, or while sizing (hidden, never clicked or found) its text alone. */
function Link(props: { href: string; sizing?: boolean; testid?: string; children: ComponentChildren }) {
	return props.sizing ? (
		<span>{props.children}</span>
	) : (
		<a href={props.href} data-testid={props.testid}>
			{props.children}
		</a>
	);
}

function ModeSentence(props: { mode: Sentence; primaryUrl?: string | null; sizing?: boolean }) {
	switch (props.mode) {
		case "deviceOffline":
			return (
				<>
					<strong>{t.offline}</strong> {t.offlineDetail}
				</>
			);
		case "offline":
			return <>{t.unreachable}</>;
		case "checking":
			return <>{t.checking}</>;
		case "active":
			return (
				<>
					<strong>{t.activeTitle}</strong> {t.activeBody}
				</>
			);
		case "standby":
			return (
				<>
					<strong>{t.standbyTitle}</strong> {t.standbyBody}
					{props.primaryUrl ? (
						<>
							{" "}
							<Link href={props.primaryUrl} sizing={props.sizing}>
								{t.openMain}
							</Link>
						</>
					) : null}
				</>
			);
	}
}

function Freshness(props: { asOf: string | null | undefined; lagSeconds: number | null; sizing?: boolean }) {
	return (
		<>
			{props.asOf ? t.dataAsOf(clock(props.asOf)) : t.dataTimeUnknown}
			{props.lagSeconds != null && <strong class="warn">{t.dataBehind(ago(props.lagSeconds))}</strong>}
			{" · "}
			{/* The public status page (served by the Worker, in both languages). */}
			<Link href={`/status?lang=${lang}`} testid="status-page" sizing={props.sizing}>
				{lang === "hi" ? "स्थिति पेज" : "Status page"}
			</Link>
		</>
	);
}

/**
 * `children` over the hidden `tallest` in one grid cell: the cell is as tall as the tallest
 * content it may show at this width and language, so nothing below moves when it changes.
 */
function Steady(props: { children: ComponentChildren; tallest: ComponentChildren }) {
	return (
		<div class="steady">
			{props.children}
			<div class="steady-sizer" aria-hidden="true">
				{props.tallest}
			</div>
		</div>
	);
}

/**
 * Always on top: who is in charge, whether exits can reach the exchange, how fresh the
 * replicated data is, whether this device is offline; and the language switch.
 */
export function Banner(props: { status: Status | null; unreachable: boolean; offline: boolean }) {
	const { status, unreachable, offline } = props;
	const mode = offline || unreachable ? "offline" : (status?.mode ?? "checking");
	const lagSeconds = status?.data.stale ? status.data.lagSeconds : null;
	// Only while active: in standby exits are not taken here anyway.
	const omsDown = mode === "active" && status?.oms?.reachable === false;
	return (
		<header class={`banner ${mode}`}>
			<Steady
				tallest={SENTENCES.map((m) => (
					<p key={m}>
						<ModeSentence mode={m} primaryUrl={status?.primaryUrl ?? "#"} sizing />
					</p>
				))}
			>
				<p role="status" aria-live="polite" data-testid="mode">
					<ModeSentence mode={offline ? "deviceOffline" : mode} primaryUrl={status?.primaryUrl} />
				</p>
			</Steady>
			{omsDown && (
				<p class="oms-down" role="alert" data-testid="oms">
					<strong>{t.omsDownTitle}</strong> {t.omsDownBody(status?.oms?.since ? clock(status.oms.since) : null)}
				</p>
			)}
			{/* The switch sits beside the short freshness line, so the mode sentence keeps the full width and the banner's height holds. */}
			<div class="banner-row">
				<Steady
					tallest={
						<p class="freshness">
							<Freshness asOf={new Date(0).toISOString()} lagSeconds={LONGEST_LAG_SECONDS} sizing />
						</p>
					}
				>
					<p class="freshness" data-testid="freshness">
						<Freshness asOf={status?.data.asOf} lagSeconds={lagSeconds} />
					</p>
				</Steady>
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
