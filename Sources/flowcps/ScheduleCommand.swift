import ArgumentParser
import Foundation
import Pipeline
import Store
import Training

/// `flowcps schedule`: scheduled training pipelines.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Submit a run file on a cron schedule (UTC): add, list, remove.",
        discussion: """
        A running worker fires due schedules (whichever worker holds the scheduler's lock: exactly once per due \
        time). Each firing submits a run named <schedule>-<yyyyMMdd>T<HHmm>Z. The run file, its prompt sets and \
        its base model are stored with the schedule, so later edits to the files do not change it.
        """,
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a run file and schedule it.",
            discussion: "Example: flowcps schedule add nightly --cron \"0 3 * * *\" pipelines/geneval-cps.yaml --set steps=50")
        @Argument(help: "Schedule name (runs are named <name>-<due time>).") var name: String
        @Option(help: "Five-field cron expression in UTC (minute hour day-of-month month day-of-week), or @daily etc.")
        var cron: String
        @Argument(help: "Run file (YAML).") var file: String
        @Option(name: .customLong("set"), help: "Override a field (repeatable): --set train.lr=2e-5")
        var overrides: [String] = []

        func run() throws {
            let schedule: CronSchedule
            do { schedule = try CronSchedule(cron) } catch let e as CronError { throw ValidationError("--cron: \(e)") }
            let config = try RunConfigFile.load(path: file, overrides: overrides)
            let s = try Schedules(connection: try DB.connect()).add(name: name, cron: schedule, config: config)
            print("scheduled \(s.name) (\(s.cron), UTC); next run \(s.nextDue.map(UTCTime.minutes) ?? "never")")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every schedule with its next and last due time.")
        func run() throws {
            let all = try Schedules(connection: try DB.connect()).list()
            if all.isEmpty { print("no schedules"); return }
            for s in all {
                var line = "\(s.name)\t\(s.cron)\tnext \(s.nextDue.map(UTCTime.minutes) ?? "never")"
                if let d = s.lastDue { line += "\tlast \(UTCTime.minutes(d))" + (s.lastRun.map { " → \($0)" } ?? "") }
                if s.missed > 0 { line += "\tmissed \(s.missed)" }
                if let e = s.lastError { line += "\terror: \(e)" }
                print(line)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a schedule (the runs it made stay).")
        @Argument(help: "Schedule name.") var name: String
        func run() throws {
            try Schedules(connection: try DB.connect()).remove(name)
            print("removed schedule \(name)")
        }
    }
}
