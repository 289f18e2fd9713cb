import Foundation

/// Dates written for people and names in UTC with a fixed (POSIX) locale, so the text is the same on every machine.
public enum UTCTime {
    /// `date` in UTC with the `DateFormatter` pattern `pattern` (e.g. `yyyy-MM-dd HH:mm 'UTC'`).
    public static func string(_ date: Date, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = pattern
        return f.string(from: date)
    }

    /// Minutes in UTC, as reports and schedule listings show them: `2026-01-01 03:00 UTC`.
    public static func minutes(_ date: Date) -> String { string(date, "yyyy-MM-dd HH:mm 'UTC'") }
}
