const qtyFormat = new Intl.NumberFormat("en-IN");
const moneyFormat = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const qty = (n: number) => qtyFormat.format(n);
export const money = (v: string | number) => moneyFormat.format(Number(v));
/** "10:31:05" in the trader's own time zone. */
export const clock = (iso: string) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false });
export const ageSeconds = (iso: string, now = Date.now()) => Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
export const ago = (seconds: number) => (seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`);
