import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC.
///
/// Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, and three-letter month and day
/// names; day-of-week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted a day matching
/// either one is due. `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly` and `@yearly` (`@annually`) are
/// shorthands.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    let daysRestricted: Bool, weekdaysRestricted: Bool

    public var description: String { expression }

    /// Parses `expression`; errors name the field and say what is allowed.
    public init(_ expression: String) throws {
        let text = expression.trimmingCharacters(in: .whitespaces)
        let aliases = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                       "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"]
        let fields = (aliases[text.lowercased()] ?? text).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError("\"\(expression)\" has \(fields.count) fields; a cron expression has 5 (minute hour day-of-month month day-of-week), e.g. \"0 3 * * *\"")
        }
        self.expression = text
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        minutes = try CronSchedule.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try CronSchedule.field(fields[1], name: "hour", range: 0...23, names: [])
        days = try CronSchedule.field(fields[2], name: "day-of-month", range: 1...31, names: [])
        months = try CronSchedule.field(fields[3], name: "month", range: 1...12, names: monthNames, firstName: 1)
        let weekdays = try CronSchedule.field(fields[4], name: "day-of-week", range: 0...7, names: dayNames)
        self.weekdays = Set(weekdays.map { $0 % 7 })
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    /// The first due time strictly after `date` (whole minutes, UTC); nil when none falls within eight years
    /// (e.g. "0 0 30 2 *").
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // The first whole minute strictly after `date`.
        let start = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        var c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: start)
        let lastYear = c.year! + 8
        while c.year! <= lastYear {
            guard months.contains(c.month!) else {
                c.month! += 1; c.day = 1; c.hour = 0; c.minute = 0
                normalise(&c, calendar)
                continue
            }
            guard let day = calendar.date(from: DateComponents(year: c.year, month: c.month, day: c.day)),
                  dayMatches(day, c.day!, calendar) else {
                c.day! += 1; c.hour = 0; c.minute = 0
                normalise(&c, calendar)
                continue
            }
            guard hours.contains(c.hour!) else {
                c.hour! += 1; c.minute = 0
                normalise(&c, calendar)
                continue
            }
            guard minutes.contains(c.minute!) else {
                c.minute! += 1
                normalise(&c, calendar)
                continue
            }
            return calendar.date(from: c)
        }
        return nil
    }

    /// The newest due time in [`first`, `through`] (`first` itself when none later has come) and how many due times
    /// were skipped for it (`first` and those after it, before the newest). Looks back from `through` in widening windows, so a long outage of a frequent
    /// schedule costs no more than its newest window; the count is exact up to `countLimit`, then capped.
    public func newestDue(after first: Date, through: Date, countLimit: Int = 10_000) -> (due: Date, skipped: Int) {
        var newest = first
        for window in [3600.0, 86_400, 32 * 86_400, 400 * 86_400, .infinity] {
            let from = window.isInfinite ? first : max(first, through.addingTimeInterval(-window))
            var t = from, last: Date?
            while let n = next(after: t), n <= through {
                last = n
                t = n
            }
            if let last { newest = last; break }
            if from == first { break }
        }
        guard newest > first else { return (first, 0) }
        // `first` itself and every due time after it but before `newest`: as many as lie in (first, newest].
        return (newest, dueTimes(after: first, through: newest, limit: countLimit).count)
    }

    /// The due times in (`after`, `through`], oldest first, at most `limit` of them.
    public func dueTimes(after: Date, through: Date, limit: Int = 10_000) -> [Date] {
        var out: [Date] = [], t = after
        while out.count < limit, let n = next(after: t), n <= through {
            out.append(n)
            t = n
        }
        return out
    }

    private func dayMatches(_ day: Date, _ dayOfMonth: Int, _ calendar: Calendar) -> Bool {
        let weekday = calendar.component(.weekday, from: day) - 1   // 0 = Sunday
        let byDay = days.contains(dayOfMonth), byWeekday = weekdays.contains(weekday)
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return byDay || byWeekday
        case (true, false): return byDay
        case (false, true): return byWeekday
        case (false, false): return true
        }
    }

    /// Carries overflowing components (minute 60, hour 24, a day past the month's end, month 13) upwards.
    private func normalise(_ c: inout DateComponents, _ calendar: Calendar) {
        if let d = calendar.date(from: c) {
            c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: d)
        }
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String],
                              firstName: Int = 0) throws -> Set<Int> {
        func value(_ s: Substring) throws -> Int {
            if let i = names.firstIndex(of: s.lowercased()) { return i + firstName }
            guard let v = Int(s), range.contains(v) else {
                throw CronError("\(name) field \"\(text)\": \"\(s)\" is not a number in \(range.lowerBound)–\(range.upperBound)"
                                + (names.isEmpty ? "" : " or a name (\(names.joined(separator: ", ")))"))
            }
            return v
        }
        var out = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw CronError("\(name) field \"\(text)\" is malformed") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else {
                    throw CronError("\(name) field \"\(text)\": the step after / must be a positive number")
                }
                step = s
            }
            let lower: Int, upper: Int
            if pieces[0] == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = pieces[0].firstIndex(of: "-") {
                lower = try value(pieces[0][..<dash])
                upper = try value(pieces[0][pieces[0].index(after: dash)...])
                guard lower <= upper else { throw CronError("\(name) field \"\(text)\": range \(lower)-\(upper) runs backwards") }
            } else {
                lower = try value(pieces[0])
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            out.formUnion(stride(from: lower, through: upper, by: step))
        }
        return out
    }
}

/// A cron expression that does not parse.
public struct CronError: Error, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = "cron: " + message }
}
