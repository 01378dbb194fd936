// swift-tools-version:6.0
import PackageDescription

// The reactors' state lives in class properties that only their own thread
// touches; in release builds the dynamic exclusivity checks on them cost
// about 8 % of the instructions per connection (callgrind). Debug builds,
// which the tests run, keep the checks.
let releaseHotPath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "ringproxy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ringproxy", targets: ["ringproxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // liburing, plus static inline shims for the macros Swift cannot import.
        .systemLibrary(
            name: "CURing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        // Pure: lexer, parser, model and validation of proxy.conf. No I/O beyond reading the file.
        .target(name: "ProxyConfig"),
        // Pure: server selection algorithms.
        .target(name: "Balancing"),
        // The io_uring layer: ring, provided buffer ring, user_data encoding, probing.
        .target(name: "URing", dependencies: ["CURing"], swiftSettings: releaseHotPath),
        // Reactors, connections, listeners, timers, signals.
        .target(
            name: "ProxyRuntime",
            dependencies: [
                "ProxyConfig", "Balancing", "URing",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: releaseHotPath
        ),
        .executableTarget(
            name: "ringproxy",
            dependencies: [
                "ProxyConfig", "ProxyRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ProxyConfigTests", dependencies: ["ProxyConfig"]),
        // Prints a digest of a Maglev table: tests compare tables built in separate processes.
        .executableTarget(name: "balancing-probe", dependencies: ["Balancing"], path: "Sources/BalancingProbe"),
        // `make bench`: the cost of one pick per algorithm, and of building a Maglev table.
        .executableTarget(name: "balancing-bench", dependencies: ["Balancing"], path: "Sources/BalancingBench"),
        .testTarget(name: "BalancingTests", dependencies: ["Balancing", "balancing-probe"]),
        .testTarget(name: "URingTests", dependencies: ["URing", "CURing"]),
        .testTarget(name: "ProxyRuntimeTests", dependencies: ["ProxyRuntime"]),
        // Balancing: to predict where the proxy must place a client.
        .testTarget(name: "EndToEndTests", dependencies: ["ringproxy", "Balancing"]),
    ],
    swiftLanguageModes: [.v5]
)
