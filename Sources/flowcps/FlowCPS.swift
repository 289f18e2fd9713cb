#if canImport(Glibc)
@preconcurrency import Glibc  // `stdout`, a C global, for setvbuf (before Foundation, which imports it without @preconcurrency)
#endif
import ArgumentParser
import Foundation
import Imaging
import Model
import NumericCore
import Pipeline
import Rewards
import Scenes
import Store
import Training

/// The `flowcps` command line: online RL for flow-matching image generators on a PostgreSQL job queue.
@main
struct FlowCPS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowcps",
        abstract: "Online RL (Flow-GRPO, Dance-GRPO, Coefficients-Preserving Sampling) for flow-matching image models.",
        discussion: """
        FlowCPS trains a small text-conditioned flow U-Net over a procedural 32×32 "shapes" world by group-relative \
        policy optimisation, as a job-queue pipeline on PostgreSQL. Exit status: 0 success, 2 bad input or usage, \
        1 any other failure.
        """,
        version: "0.1.0",
        groupedSubcommands: [
            CommandGroup(name: "Pipeline", subcommands: [RunCommand.self, SweepCommand.self, WorkerCommand.self,
                                                                       ScheduleCommand.self, ServeCommand.self, DB.self]),
            CommandGroup(name: "In one process, and results", subcommands: [RL.self, ReportCommand.self,
                                                                                         Plot.self]),
            CommandGroup(name: "Models", subcommands: [Pretrain.self, Finetune.self, Sample.self,
                                                                                Evaluate.self, ModelTool.self,
                                                                                PlotLoss.self]),
            CommandGroup(name: "Shapes world and rewards", subcommands: [Prompts.self, Render.self, Dataset.self, Score.self,
                                                                                 Detect.self, NoiseLevel.self]),
        ]
    )

    /// Parses, runs, and maps failures to exit codes: usage and input errors print one line and exit 2.
    static func main() {
        // Line-buffered output: a log file (a background pretrain, rl or worker) gets each line as it is printed,
        // not 4 KiB at a time or only at exit.
        setvbuf(stdout, nil, _IOLBF, 0)
        BLASKernelSelection.selectKernels()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as InputError {
            fail(error.message, code: 2)
        } catch let error as ConfigError {
            fail(error.description, code: 2)
        } catch let error as PromptError {
            fail(error.message, code: 2)
        } catch let error as ImagingError {
            fail(error.message, code: error.code == .encode ? 1 : 2)
        } catch let error as ModelError {
            fail(error.message, code: error.code == .io ? 1 : 2)
        } catch let error as PipelineError {
            fail(error.description, code: 2)
        } catch let error as StoreError {
            fail(error.description, code: 1)
        } catch let error as RewardError {
            fail(error.message, code: error.code == .invalidScore ? 1 : 2)
        } catch {
            if exitCode(for: error) == .validationFailure {
                // One line: the problem and where help is, not the whole usage block.
                let words = CommandLine.arguments.dropFirst().prefix { !$0.hasPrefix("-") }.prefix(2)
                fail(message(for: error) + " (see: flowcps \((words + ["--help"]).joined(separator: " ")))", code: 2)
            }
            exit(withError: error)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(code)
    }
}

/// A problem with what the user asked for; printed as one line, exit status 2.
struct InputError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
