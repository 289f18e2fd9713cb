// swift-tools-version:6.1
// FlowCPS: online RL (Flow-GRPO, Dance-GRPO, Coefficients-Preserving Sampling) for flow-matching image generators,
// run as a job-queue batch pipeline on PostgreSQL. Module graph: docs/architecture.md §1 (checked by ops/check-architecture).
import PackageDescription

/// Numeric modules are compiled for a vector-capable CPU level so their loops use 256-bit registers and FMA
/// instead of x86-64's baseline SSE2: "haswell" (AVX2, FMA: every x86 server and desktop since 2013–15) unless
/// FLOWCPS_TARGET_CPU names another LLVM CPU ("native", "x86-64" for old machines). Elsewhere, the default.
let targetCPU: String? = {
    if let cpu = Context.environment["FLOWCPS_TARGET_CPU"], !cpu.isEmpty { return cpu }
    #if arch(x86_64)
    return "haswell"
    #else
    return nil
    #endif
}()
let vectorSettings: [SwiftSetting] = targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? []

let package = Package(
    name: "FlowCPS",
    products: [
        .executable(name: "flowcps", targets: ["flowcps"]),
        .executable(name: "flowcps-bench", targets: ["flowcps-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Without the default ConfigurationSupport trait: swift-configuration is not built (a shorter first build).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // C libraries, each imported by exactly one Swift module.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        .target(
            name: "NumericCore",
            dependencies: ["COpenBLAS", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: vectorSettings
        ),
        .target(name: "Imaging", dependencies: ["CLibPNG"]),
        .target(name: "Scenes", dependencies: ["NumericCore", "Imaging"]),
        .target(name: "Rewards", dependencies: ["Scenes", "Imaging", "NumericCore"]),
        .target(name: "Sampling", dependencies: ["NumericCore"]),
        .target(name: "Model", dependencies: ["NumericCore"], swiftSettings: vectorSettings),
        .target(name: "GRPO", dependencies: ["NumericCore"]),
        .target(name: "Training", dependencies: ["Model", "Sampling", "Rewards", "GRPO", "Scenes", "Imaging", "NumericCore",
                                                 .product(name: "Yams", package: "Yams")]),
        .target(name: "Store", dependencies: ["CLibPQ"]),
        .target(
            name: "Pipeline",
            dependencies: ["Training", "Store", "Model", "Sampling", "Rewards", "Scenes", "Imaging", "GRPO",
                           .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "Report", dependencies: ["Store", "Imaging"]),
        .target(
            name: "Dashboard",
            dependencies: ["Pipeline", "Store", "Report", "Imaging",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "flowcps",
            dependencies: [
                "NumericCore", "Imaging", "Scenes", "Rewards", "Sampling", "Model", "Training", "Pipeline", "Store", "Report", "Dashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "flowcps-bench",
            dependencies: [
                "NumericCore", "Imaging", "Scenes", "Rewards", "Sampling", "Model", "Training", "Pipeline", "Store",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "ScenesTests", dependencies: ["Scenes", "Imaging", "NumericCore"]),
        .testTarget(name: "RewardsTests", dependencies: ["Rewards", "Scenes", "Imaging", "NumericCore"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "NumericCore"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "NumericCore"]),
        .testTarget(name: "GRPOTests", dependencies: ["GRPO", "NumericCore"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "GRPO", "Model", "Sampling", "Scenes", "Rewards", "NumericCore"]),
        .target(name: "StoreTestSupport", dependencies: ["Store"], path: "Tests/StoreTestSupport"),
        .target(name: "PipelineTestSupport", dependencies: ["Model", "Training"], path: "Tests/PipelineTestSupport"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "StoreTestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Training", "GRPO", "Sampling", "Store", "StoreTestSupport", "PipelineTestSupport", "Imaging", "Scenes",
                                                        "Model", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "FlowCPSCLITests", dependencies: ["flowcps", "Imaging", "Scenes", "Store"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Imaging"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "Pipeline", "Store", "StoreTestSupport", "PipelineTestSupport", "Training", "Model",
                                                         "Imaging", .product(name: "Logging", package: "swift-log"),
                                                         .product(name: "HTTPTypes", package: "swift-http-types")]),
    ],
    swiftLanguageModes: [.v6]
)
