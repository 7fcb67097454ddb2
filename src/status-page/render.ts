// The public status page as one small HTML document: no script, one inline style sheet (allowed
// by its hash, STATUS_PAGE_CSP), readable on a slow phone. What it cannot know (Postgres or the
// Failover object away) it says is unknown.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Activation, FailoverState } from "../contract";
import type { DataFreshness } from "../replication/freshness";
import { formatTime, type Lang, TEXT } from "./text";

export interface StatusPageData {
	lang: Lang;
	/** Null when neither KV nor the Failover object answered. */
	failover: FailoverState | null;
	data: DataFreshness;
	/** Newest first; null when the history could not be read. */
	activations: Activation[] | null;
	now: string;
}

export const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;color:#111;background:#fff}
h1{font-size:1.25rem}h2{font-size:1.1rem;margin-top:1.5rem}
.state{font-size:1.2rem;font-weight:700;padding:.75rem;border-left:.4rem solid #555;background:#f2f2f2}
.active{border-color:#0a6b2d;background:#e5f5ea}.fencing{border-color:#8a5a00;background:#fff4dd}.unknown{border-color:#a00;background:#fde8e8}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:700}dd{margin:0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem .25rem 0;border-bottom:1px solid #ccc}
a{color:#0645ad}.signin{display:inline-block;margin:1rem 0;padding:.6rem 1rem;background:#0645ad;color:#fff;text-decoration:none;border-radius:.3rem}
small{color:#444}
@media (prefers-color-scheme:dark){body{color:#eee;background:#121212}.state{background:#2a2a2a}.active{background:#12351f}.fencing{background:#3a2c0c}.unknown{background:#3d1414}a{color:#8ab4f8}.signin{background:#8ab4f8;color:#111}small{color:#bbb}th,td{border-color:#444}}`;

let styleHash: Promise<string> | undefined;

/** The page's Content-Security-Policy: nothing but its own inline style sheet. */
export async function statusPageCsp(): Promise<string> {
	styleHash ??= crypto.subtle
		.digest("SHA-256", new TextEncoder().encode(STYLE))
		.then((d) => btoa(String.fromCharCode(...new Uint8Array(d))));
	return `default-src 'none'; style-src 'sha256-${await styleHash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export function renderStatusPage(d: StatusPageData): Promise<HtmlEscapedString> | HtmlEscapedString {
	const t = TEXT[d.lang];
	const at = (iso: string) => formatTime(iso, d.lang);
	const f = d.failover;
	const other: Lang = d.lang === "en" ? "hi" : "en";

	const state = f
		? html`<p class="state ${f.phase}">${t.inCharge[f.phase]}</p>
			${f.since ? html`<p>${t.since(at(f.since))}</p>` : ""}`
		: html`<p class="state unknown">${t.unknownState}</p>`;

	const minutes = d.data.lagSeconds === null ? null : Math.floor(d.data.lagSeconds / 60);
	const data =
		d.data.asOf === null || minutes === null
			? t.dataUnknown
			: d.data.stale
				? t.dataStale(minutes, at(d.data.asOf))
				: t.dataFresh(minutes, at(d.data.asOf));

	const history =
		d.activations === null
			? html`<p>${t.historyUnknown}</p>`
			: d.activations.length === 0
				? html`<p>${t.noActivations}</p>`
				: html`<table>
						<thead><tr><th scope="col">${t.started}</th><th scope="col">${t.ended}</th><th scope="col">${t.howHeading}</th></tr></thead>
						<tbody>${d.activations.map(
							(a) => html`<tr><td>${at(a.startedAt)}</td><td>${a.endedAt ? at(a.endedAt) : t.stillOn}</td><td>${t.how[a.source]}</td></tr>`,
						)}</tbody>
					</table>`;

	return html`<!doctype html>
<html lang="${d.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<p><a href="/status?lang=${other}" lang="${other}" hreflang="${other}">${t.otherLanguage}</a></p>
<h1>${t.heading}</h1>
<main>
${state}
<dl>
${f ? html`<dt>${t.reasonLabel}</dt><dd>${t.reason(f.phase, f.source)}</dd>` : ""}
<dt>${t.dataLabel}</dt><dd>${data}</dd>
<dt>${t.omsLabel}</dt><dd>${f ? (f.oms.reachable ? t.omsReachable : t.omsUnreachable(f.oms.since ? at(f.oms.since) : null)) : t.dataUnknown}</dd>
</dl>
<a class="signin" href="/">${t.signIn}</a>
<h2>${t.historyHeading}</h2>
${history}
</main>
<p><small>${t.checkedAt(at(d.now))}</small></p>
</body>
</html>`;
}
