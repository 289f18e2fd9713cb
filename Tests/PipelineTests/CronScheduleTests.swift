import Foundation
import Pipeline
import Testing

/// UTC date from "yyyy-MM-dd HH:mm[:ss]".
func utc(_ s: String) -> Date {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = s.count > 16 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm"
    return f.date(from: s)!
}

@Suite struct CronScheduleTests {
    func next(_ cron: String, after: String) throws -> Date? {
        try CronSchedule(cron).next(after: utc(after))
    }

    @Test func dailyAtThree() throws {
        #expect(try next("0 3 * * *", after: "2026-11-22 04:00") == utc("2026-11-23 03:00"))
        #expect(try next("0 3 * * *", after: "2026-11-22 02:59:59") == utc("2026-11-22 03:00"))
        // Strictly after: a due time is never returned twice.
        #expect(try next("0 3 * * *", after: "2026-11-22 03:00") == utc("2026-11-23 03:00"))
    }

    @Test func stepsRangesListsAndNames() throws {
        #expect(try next("*/15 * * * *", after: "2026-11-22 10:07:30") == utc("2026-11-22 10:15"))
        #expect(try next("5,35 * * * *", after: "2026-11-22 10:07") == utc("2026-11-22 10:35"))
        // 2026-11-22 is a Sunday; weekdays 1-5 from Friday 27th after 09:30 go to Monday 30th.
        #expect(try next("0 0 * * mon", after: "2026-11-22 12:00") == utc("2026-11-23 00:00"))
        #expect(try next("30 9 * * 1-5", after: "2026-11-27 10:00") == utc("2026-11-30 09:30"))
        #expect(try next("0 0 * * 7", after: "2026-11-23 00:00") == utc("2026-11-29 00:00"))
        #expect(try next("0 12 1 jan-mar *", after: "2026-11-22 00:00") == utc("2027-01-01 12:00"))
        #expect(try CronSchedule("@daily").next(after: utc("2026-11-22 00:00")) == utc("2026-11-23 00:00"))
    }

    @Test func monthEndsLeapYearsAndImpossibleDates() throws {
        #expect(try next("0 0 31 * *", after: "2026-04-01 00:00") == utc("2026-05-31 00:00"))
        #expect(try next("0 0 29 2 *", after: "2026-03-01 00:00") == utc("2028-02-29 00:00"))
        #expect(try next("0 0 1 1 *", after: "2026-12-31 23:59") == utc("2027-01-01 00:00"))
        #expect(try next("0 0 30 2 *", after: "2026-01-01 00:00") == nil)
    }

    @Test func restrictedDayFieldsMatchEitherDay() throws {
        // "the 13th or any Friday": Friday 20 Nov comes before 13 Dec.
        #expect(try next("0 0 13 * fri", after: "2026-11-14 00:00") == utc("2026-11-20 00:00"))
        #expect(try next("0 0 13 * fri", after: "2026-11-27 00:00") == utc("2026-12-04 00:00"))
        #expect(try next("0 0 13 * fri", after: "2026-12-11 00:00") == utc("2026-12-13 00:00"))
    }

    @Test func dueTimesListsEveryOneInTheWindow() throws {
        let times = try CronSchedule("*/5 * * * *").dueTimes(after: utc("2026-01-01 00:00:30"), through: utc("2026-01-01 00:29:30"))
        #expect(times == ["00:05", "00:10", "00:15", "00:20", "00:25"].map { utc("2026-01-01 \($0)") })
    }

    @Test func badExpressionsNameTheField() {
        for (cron, words) in [("61 * * * *", "minute field"), ("* * *", "has 3 fields"), ("*/0 * * * *", "positive"),
                              ("5-1 * * * *", "backwards"), ("0 0 * foo *", "month field"), ("0 25 * * *", "hour field"),
                              ("0 0 0 * *", "day-of-month"), ("0 0 * * 8", "day-of-week"), ("0 0 1,,2 * *", "malformed")] {
            #expect(throws: CronError.self) { try CronSchedule(cron) }
            do { _ = try CronSchedule(cron) } catch {
                #expect("\(error)".contains(words), "\(cron): \(error)")
            }
        }
    }
}
