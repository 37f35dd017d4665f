/** Timestamps leave the API as ISO 8601 UTC strings with milliseconds and `Z`. */
export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/** A timestamp strictly after `previous`, so `updatedAt` always moves forward even within a millisecond. */
export const nextTimestamp = (previous: Date) => new Date(Math.max(Date.now(), previous.getTime() + 1));
