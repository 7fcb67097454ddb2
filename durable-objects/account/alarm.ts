// The Account's one alarm, its time kept in memory. Every square-off and OMS event brings it
// nearer (the outbox's resend), and asking storage each time cost every such call a turn of
// its own. Only the alarm handler moves it later; all else goes through `wakeBy`.
export class AlarmClock {
	/** When the alarm is set for (ms), null when it is not; undefined until storage was asked. */
	private at: number | null | undefined;

	constructor(private readonly storage: DurableObjectStorage) {}

	/** Brings the alarm forward to `at` (ms) if it is set later or not at all. */
	async wakeBy(at: number): Promise<void> {
		if (this.at === undefined) this.at = await this.storage.getAlarm();
		if (this.at !== null && this.at <= at) return;
		await this.set(at);
	}

	/** Sets it to `at` whatever it was (the alarm handler's part). */
	async set(at: number): Promise<void> {
		// Noted before the write: storage applies writes in the order they are made, so the
		// last noted is the last written even when two calls interleave.
		this.at = at;
		try {
			await this.storage.setAlarm(at);
		} catch (err) {
			this.at = undefined;
			throw err;
		}
	}

	/** The alarm went off: storage no longer holds it. */
	rang(): void {
		this.at = null;
	}
}
